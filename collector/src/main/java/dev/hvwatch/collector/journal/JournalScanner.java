package dev.hvwatch.collector.journal;

import java.io.Closeable;
import java.util.Set;
import java.util.function.LongSupplier;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the journal forward from any position, given by index: what queries, live streams and named cursors are
 * built on. It remembers nothing across restarts (that is {@link JournalCursor}'s job). Not thread-safe: Chronicle
 * tailers belong to one thread, so a scanner is made, used and closed on one.
 */
public final class JournalScanner implements Closeable {

    /** Where {@link #seekAfter} left the scanner. */
    public enum Seek {
        /** Just after the entry with the index asked for. */
        AFTER,
        /**
         * At the oldest entry: the index asked for is 0 (before any entry), or an entry the journal held once but
         * whose file is gone.
         */
        OLDEST,
        /** Nowhere useful: the journal never held that index (and never will, if it is ahead of the last one). */
        NOT_FOUND
    }

    private static final Logger log = LoggerFactory.getLogger(JournalScanner.class);

    private final SingleChronicleQueue queue;
    private final LongSupplier firstEverIndex;
    private final Set<Long> unreadable;
    private final ExcerptTailer tailer;
    private long lastRead;

    /**
     * @param firstEverIndex the index of the first entry the journal ever held, 0 while it has held none
     * @param unreadable where entries that cannot be read are counted, each once
     */
    JournalScanner(SingleChronicleQueue queue, LongSupplier firstEverIndex, Set<Long> unreadable) {
        this.queue = queue;
        this.firstEverIndex = firstEverIndex;
        this.unreadable = unreadable;
        this.tailer = queue.createTailer();
    }

    /** Positions the scanner so that {@link #next} returns the entry after {@code index}. */
    public Seek seekAfter(long index) {
        if (tailer.moveToIndex(index)) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (dc.isPresent() && dc.index() == index) {
                    lastRead = index;
                    return Seek.AFTER;
                }
            }
        }
        tailer.toStart();
        lastRead = 0;
        long firstEver = firstEverIndex.getAsLong();
        // An empty queue's first index is Long.MAX_VALUE; one whose older files were removed starts after firstEver.
        boolean removed = firstEver != 0 && index >= firstEver && index < queue.firstIndex();
        return index == 0 || removed ? Seek.OLDEST : Seek.NOT_FOUND;
    }

    /** Positions the scanner after the last entry journaled so far: {@link #next} returns only newer ones. */
    public void toEnd() {
        tailer.toEnd();
        long last = queue.lastIndex();
        lastRead = last < 0 ? 0 : last;
    }

    /**
     * The next entry, or null when the scanner has caught up with the journal. An entry that cannot be read is
     * skipped and counted.
     *
     * @throws JournalUnavailableException when reading faults in the mapping (a tmpfs with no page left to map)
     */
    public JournalEntry next() {
        try {
            while (true) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        return null;
                    }
                    lastRead = dc.index();
                    try {
                        return JournalFormat.read(dc.wire().bytes(), dc.index());
                    } catch (IllegalStateException e) {
                        if (unreadable.add(dc.index())) {
                            log.warn("journal entry 0x{} cannot be read and is skipped (counted): {}",
                                    Long.toHexString(dc.index()), e.getMessage());
                        }
                    }
                }
            }
        } catch (InternalError e) {
            throw new JournalUnavailableException("reading the journal faulted in its memory mapping ("
                    + e.getMessage() + "): is its disk full?");
        }
    }

    /** Lets the next call come from another thread than the last (Chronicle tailers check their thread). */
    public void handOff() {
        tailer.singleThreadedCheckReset();
    }

    /** The index of the entry last read or sought past, 0 when the scanner stands before the oldest entry. */
    public long lastRead() {
        return lastRead;
    }

    @Override
    public void close() {
        tailer.close();
    }
}
