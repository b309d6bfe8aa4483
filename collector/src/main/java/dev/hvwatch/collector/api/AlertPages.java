package dev.hvwatch.collector.api;

import dev.hvwatch.collector.api.ApiParameters.AlertQuery;
import dev.hvwatch.collector.api.ApiParameters.Cursor;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.collector.journal.JournalScanner;
import java.util.ArrayList;
import java.util.List;

/**
 * Pages of {@code /api/v1/alerts}, read from the journal oldest first with a scanner of their own: a concurrent
 * reader of the queue, which never waits for ingest nor makes it wait. A page ends at {@code limit} alerts or after
 * {@value #MAX_SCANNED} journal entries, whichever comes first, so that a filter matching little cannot make one
 * request read the whole journal; {@code more} then tells the client to ask again from {@code next}.
 */
final class AlertPages {
    static final int MAX_SCANNED = 20_000;

    private final AlertJournal journal;

    AlertPages(AlertJournal journal) {
        this.journal = journal;
    }

    /**
     * @param alerts the alerts of the page, oldest first
     * @param next where the next page starts: the index of the last entry read, 0 when the journal is empty
     * @param more whether the page stopped before the end of the journal
     */
    record Page(List<JournalEntry> alerts, long next, boolean more) {
    }

    Page read(AlertQuery query) throws BadParameter {
        try (JournalScanner scanner = journal.scanner()) {
            if (query.after() != null) {
                seekAfter(scanner, query.after());
            }
            List<JournalEntry> alerts = new ArrayList<>(Math.min(query.limit(), 64));
            for (int scanned = 0; alerts.size() < query.limit(); scanned++) {
                if (scanned == MAX_SCANNED) {
                    return new Page(alerts, scanner.lastRead(), true);
                }
                JournalEntry entry = scanner.next();
                if (entry == null) {
                    return new Page(alerts, scanner.lastRead(), false);
                }
                if (query.filter().matches(entry)) {
                    alerts.add(entry);
                }
            }
            return new Page(alerts, scanner.lastRead(), true);
        }
    }

    /**
     * Positions {@code scanner} after a cursor a client gave back. A cursor older than anything left in the journal
     * starts from the oldest entry; one the journal never held (another journal's, or a journal since wiped) is
     * refused, as resuming from a guess could skip alerts.
     */
    static void seekAfter(JournalScanner scanner, Cursor cursor) throws BadParameter {
        if (scanner.seekAfter(cursor.index()) == JournalScanner.Seek.NOT_FOUND) {
            throw new BadParameter(cursor.parameter(), "this journal holds no entry "
                    + ApiParameters.cursor(cursor.index()) + "; start again without it");
        }
    }
}
