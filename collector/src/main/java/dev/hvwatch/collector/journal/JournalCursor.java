package dev.hvwatch.collector.journal;

import java.io.Closeable;
import java.util.function.LongSupplier;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Reads the journal from where a named reader (an output) last {@link #commit committed}. The position is stored in
 * the journal's own metadata, so it survives restarts; it moves only on {@code commit}, which the reader calls once
 * what it has read is safely delivered, so that a crash makes it read again rather than skip. Not thread-safe: one
 * reader, one thread; only {@link #lag} may be asked from any thread.
 */
public final class JournalCursor implements Closeable {
    /** Stores the index of the last entry delivered, 0 for none: an index that exists, unlike the next one. */
    private final LongValue committed;
    private final ExcerptTailer tailer;
    private final LongSupplier journalEntries;
    private long lastRead;
    /** How many journal entries the last one read and the last one committed are, counting from the first. */
    private long readOrdinal;
    private volatile long committedOrdinal;

    JournalCursor(SingleChronicleQueue queue, String name, LongSupplier journalEntries) {
        this.committed = queue.indexForId(name);
        this.tailer = queue.createTailer();
        this.journalEntries = journalEntries;
        lastRead = committed.getVolatileValue();
        if (lastRead != 0) {
            if (tailer.moveToIndex(lastRead)) {
                readOrdinal = queue.countExcerpts(queue.firstIndex(), lastRead);
                next();
            } else {
                // The committed entry's file was removed; start from the oldest entry still there.
                tailer.toStart();
            }
        }
        committedOrdinal = readOrdinal;
        // Opened on the caller's thread, read on the reader's own from now on.
        tailer.singleThreadedCheckReset();
    }

    /** The next entry, or null when the reader has caught up with the journal. */
    public JournalEntry next() {
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) {
                return null;
            }
            lastRead = dc.index();
            readOrdinal++;
            return JournalFormat.read(dc.wire().bytes(), dc.index());
        }
    }

    /** Makes the entry after the last one read the one a restarted reader resumes from. */
    public void commit() {
        committed.setOrderedValue(lastRead);
        committedOrdinal = readOrdinal;
        // Opened on the caller's thread, read on the reader's own from now on.
        tailer.singleThreadedCheckReset();
    }

    /** Journal entries not committed yet: what a slow or stopped reader still owes. */
    public long lag() {
        return Math.max(0, journalEntries.getAsLong() - committedOrdinal);
    }

    @Override
    public void close() {
        tailer.close();
        committed.close();
    }
}
