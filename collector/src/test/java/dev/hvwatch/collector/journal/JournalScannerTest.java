package dev.hvwatch.collector.journal;

import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static dev.hvwatch.collector.testing.TestAlerts.encoded;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a scanner lands for a position a client gave back: after it, at the oldest entry, or nowhere. */
class JournalScannerTest {
    @TempDir
    Path dir;

    @Test
    void positionZeroIsBeforeEverythingEvenInAnEmptyJournal() throws Exception {
        try (AlertJournal journal = AlertJournal.open(dir, false, a -> { });
             JournalScanner scanner = journal.scanner()) {
            assertThat(scanner.seekAfter(0)).isEqualTo(JournalScanner.Seek.OLDEST);
            assertThat(scanner.next()).isNull();

            journal.append(encoded(alerts("kvm-01", 1, 2)));
            assertThat(scanner.seekAfter(0)).isEqualTo(JournalScanner.Seek.OLDEST);
            assertThat(scanner.next().seq()).isEqualTo(1);
        }
    }

    @Test
    void aPositionThisJournalNeverHeldIsNotFoundAcrossRestarts() throws Exception {
        long first;
        try (AlertJournal journal = AlertJournal.open(dir, false, a -> { });
             JournalScanner scanner = journal.scanner()) {
            assertThat(scanner.seekAfter(1)).isEqualTo(JournalScanner.Seek.NOT_FOUND);
            journal.append(encoded(alerts("kvm-01", 1, 3)));
            scanner.seekAfter(0);
            first = scanner.next().index();

            assertThat(scanner.seekAfter(first)).isEqualTo(JournalScanner.Seek.AFTER);
            assertThat(scanner.next().seq()).isEqualTo(2);
            assertThat(scanner.seekAfter(first - 1)).isEqualTo(JournalScanner.Seek.NOT_FOUND);
            assertThat(scanner.seekAfter(1)).isEqualTo(JournalScanner.Seek.NOT_FOUND);
            assertThat(scanner.seekAfter(first + 1000)).isEqualTo(JournalScanner.Seek.NOT_FOUND);
        }
        try (AlertJournal journal = AlertJournal.open(dir, false, a -> { });
             JournalScanner scanner = journal.scanner()) {
            assertThat(scanner.seekAfter(first - 1)).isEqualTo(JournalScanner.Seek.NOT_FOUND);
            assertThat(scanner.seekAfter(first)).isEqualTo(JournalScanner.Seek.AFTER);
        }
    }
}
