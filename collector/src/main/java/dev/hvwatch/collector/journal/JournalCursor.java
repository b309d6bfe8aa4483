package dev.hvwatch.collector.journal;

import java.io.Closeable;
import java.util.Set;
import java.util.function.LongSupplier;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

/**
 * Reads the journal from where a named reader (an output) last {@link #commit committed}. The position is stored in
 * the journal's own metadata, so it survives restarts; it moves only on {@code commit}, which the reader calls once
 * what it has read is safely delivered, so that a crash makes it read again rather than skip. Not thread-safe: one
 * reader, one thread.
 */
public final class JournalCursor implements Closeable {
    /** Stores the index of the last entry delivered, 0 for none: an index that exists, unlike the next one. */
    private final LongValue committed;
    private final JournalScanner scanner;
    private final LongSupplier journalEntries;
    /** How many journal entries the last one read and the last one committed are, counting from the first. */
    private long readOrdinal;
    private volatile long committedOrdinal;

    JournalCursor(SingleChronicleQueue queue, String name, LongSupplier journalEntries, LongSupplier firstEverIndex,
            Set<Long> unreadable) {
        this.committed = queue.indexForId(name);
        this.scanner = new JournalScanner(queue, firstEverIndex, unreadable);
        this.journalEntries = journalEntries;
        long last = committed.getVolatileValue();
        // When the committed entry's file was removed, the scanner starts from the oldest entry still there.
        if (last != 0 && scanner.seekAfter(last) == JournalScanner.Seek.AFTER) {
            readOrdinal = queue.countExcerpts(queue.firstIndex(), last) + 1;
        }
        committedOrdinal = readOrdinal;
        scanner.handOff();
    }

    /** The next entry, or null when the reader has caught up with the journal. */
    public JournalEntry next() {
        JournalEntry entry = scanner.next();
        if (entry != null) {
            readOrdinal++;
        }
        return entry;
    }

    /** Makes the entry after the last one read the one a restarted reader resumes from. */
    public void commit() {
        committed.setOrderedValue(scanner.lastRead());
        committedOrdinal = readOrdinal;
        scanner.handOff();
    }

    /** Journal entries not committed yet: what a slow or stopped reader still owes. */
    public long lag() {
        return Math.max(0, journalEntries.getAsLong() - committedOrdinal);
    }

    @Override
    public void close() {
        scanner.close();
        committed.close();
    }
}
