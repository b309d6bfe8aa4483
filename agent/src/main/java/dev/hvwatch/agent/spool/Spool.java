package dev.hvwatch.agent.spool;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.agent.spool.SpoolRecord.CorruptRecord;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import net.openhft.chronicle.core.time.SystemTimeProvider;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's durable outbox: every alert is appended here, numbered with the next seq, before any attempt to send
 * it, and stays until a collector has acknowledged it or the {@link SpoolLimits} discard it. A Chronicle Queue in
 * the state directory, one file per hour; the files survive the agent being killed, and with them the numbering.
 *
 * <p>Threads: {@link #append} from any thread (alerts come from the rule engine and from the spool's own overflow
 * alarm); {@link #acknowledge}, {@link #enforceLimits} and {@link #continueAfter} are serialised by one lock;
 * each {@link SpoolReader} belongs to one thread.
 *
 * <p>A full disk: Chronicle writes through a memory mapping, where a page the file system cannot back faults
 * ({@code InternalError}) instead of failing a write call. So an append first checks that the file system has room
 * for the record and {@link #HEADROOM_BYTES} more; one it refuses is counted as lost (and, in a race with another
 * writer, a fault is caught and counted alike), and the spool takes alerts again once there is room. An excerpt
 * that is no spooled alert (a zero-filled tail left by such a fault) is counted as lost once, where any reader of
 * the spool meets it, and read past.
 */
public final class Spool implements Closeable {
    /** The {@code stage} label of the spool's drops in {@code hvwatch_events_dropped_total}. */
    public static final String STAGE = "spool";
    private static final Logger log = LoggerFactory.getLogger(Spool.class);
    private static final RollCycle ROLL = RollCycles.FAST_HOURLY;
    private static final DateTimeFormatter FILE_NAMES =
            DateTimeFormatter.ofPattern(ROLL.format()).withZone(ZoneOffset.UTC);
    private static final String LAST_SEQ = "spool.last-seq";
    private static final String SETTLED_SEQ = "spool.settled-seq";
    /** Room kept free beyond a record: Chronicle's index pages, metadata and the next hour's file header. */
    static final long HEADROOM_BYTES = 1 << 20;

    private final SingleChronicleQueue queue;
    private final SpoolLimits limits;
    private final ExcerptAppender appender;
    /** Seqs kept in the queue's metadata, so that they outlive the files that retention deletes. */
    private final LongValue lastSeqStore;
    private final LongValue settledSeqStore;
    private final Path dir;
    private final FileStore store;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong unwritten = new AtomicLong();
    /** Indexes of excerpts counted as unreadable, so that each is counted once whoever reads past it. */
    private final Set<Long> unreadable = ConcurrentHashMap.newKeySet();
    /** Why the latest append failed; null when it succeeded. */
    private volatile String unwritable;
    private final Object settling = new Object();
    /** At the first record not yet settled; guarded by {@link #settling}. */
    private final ExcerptTailer unsettled;
    private final List<SpoolReader> readers = new ArrayList<>();
    private volatile long lastSeq;
    private volatile long settledSeq;

    private Spool(SingleChronicleQueue queue, SpoolLimits limits, Path dir, FileStore store) {
        this.queue = queue;
        this.limits = limits;
        this.dir = dir;
        this.store = store;
        this.appender = queue.createAppender();
        this.appender.singleThreadedCheckDisabled(true);
        this.lastSeqStore = queue.indexForId(LAST_SEQ);
        this.settledSeqStore = queue.indexForId(SETTLED_SEQ);
        this.lastSeq = Math.max(lastSeqStore.getVolatileValue(), lastRecordSeq(queue));
        this.settledSeq = Math.min(settledSeqStore.getVolatileValue(), lastSeq);
        this.unsettled = queue.createTailer();
        this.unsettled.singleThreadedCheckDisabled(true);
        skipThrough(unsettled, settledSeq);
    }

    /** Opens (or creates) the spool in {@code dir}. */
    public static Spool open(Path dir, SpoolLimits limits) throws IOException {
        return open(dir, limits, SystemTimeProvider.INSTANCE);
    }

    /**
     * Opens the spool after alerts were lost because it could not be opened: they count among its drops (as not
     * written), so that the overflow alarm reports them.
     */
    public static Spool openAfterLosing(Path dir, SpoolLimits limits, long lostBeforeOpen) throws IOException {
        Spool spool = open(dir, limits);
        spool.unwritten.addAndGet(lostBeforeOpen);
        spool.dropped.addAndGet(lostBeforeOpen);
        return spool;
    }

    /** @param time what the spool stamps records and rolls its files by; tests move it forward */
    static Spool open(Path dir, SpoolLimits limits, TimeProvider time) throws IOException {
        Files.createDirectories(dir);
        FileStore store = Files.getFileStore(dir);
        String noRoom = roomFor(store, dir, 0);
        if (noRoom != null) {
            throw new IOException("spool " + dir + " cannot be opened: " + noRoom);
        }
        SingleChronicleQueue queue;
        try {
            queue = SingleChronicleQueueBuilder.binary(dir).rollCycle(ROLL).timeProvider(time).build();
        } catch (RuntimeException | InternalError e) {
            throw new IOException("spool " + dir + " cannot be opened: " + e, e);
        }
        try {
            Spool spool = new Spool(queue, limits, dir, store);
            log.info("spool {}: seqs up to {}, {} pending", dir, spool.lastSeq, spool.pending());
            return spool;
        } catch (RuntimeException | InternalError e) {
            queue.close();
            throw new IOException("spool " + dir + " cannot be read: " + e, e);
        }
    }

    /**
     * Numbers the alert with the next seq and makes it durable; never waits for the network.
     *
     * @return its seq, or 0 when it could not be written (counted as dropped)
     */
    public long append(Alert alert) {
        synchronized (appender) {
            long seq = lastSeq + 1;
            byte[] json = AlertJson.toBytes(alert.withSeq(seq));
            String failure = roomFor(store, dir, json.length);
            if (failure == null) {
                try {
                    write(new SpoolRecord(seq, queue.time().currentTimeMillis(), json));
                } catch (RuntimeException | InternalError e) {
                    failure = e.toString(); // a page fault of the mapping: another writer took the room first
                }
            }
            if (failure != null) {
                unwritten.incrementAndGet();
                dropped.incrementAndGet();
                if (unwritable == null) {
                    log.error("the spool cannot be written ({}): alerts are lost, and counted in "
                            + "hvwatch_events_dropped_total{stage=\"spool\"}, until there is room", failure);
                }
                log.debug("alert {} lost: {}", alert.id(), failure);
                unwritable = failure;
                return 0;
            }
            if (unwritable != null) {
                log.info("the spool takes alerts again ({} lost while it could not)", unwritten.get());
                unwritable = null;
            }
            lastSeq = seq;
            lastSeqStore.setOrderedValue(seq);
            return seq;
        }
    }

    /** The seq of the latest alert spooled, 0 before the first. */
    public long lastSeq() {
        return lastSeq;
    }

    /** Every seq up to this one needs no sending: a collector acknowledged it or the limits discarded it. */
    public long settledSeq() {
        return settledSeq;
    }

    /** Alerts spooled and not yet settled. */
    public long pending() {
        return lastSeq - settledSeq;
    }

    /** Alerts lost: discarded by the limits, not written at all, or unreadable. */
    public long dropped() {
        return dropped.get();
    }

    /** Alerts lost because the spool could not write them (disk full). */
    public long unwritten() {
        return unwritten.get();
    }

    /** Spooled excerpts that held no readable alert, each counted once as lost. */
    public long unreadable() {
        return unreadable.size();
    }

    /** Whether an alert of a few KiB would be written now; a cheap look at the file system's free space. */
    public boolean hasRoom() {
        return roomFor(store, dir, 4096) == null;
    }

    public SpoolLimits limits() {
        return limits;
    }

    /** A new reader, positioned at the start; it belongs to the thread that uses it and closes with the spool. */
    public SpoolReader reader() {
        ExcerptTailer tailer = queue.createTailer();
        tailer.singleThreadedCheckDisabled(true);
        SpoolReader reader = new SpoolReader(this, tailer);
        synchronized (readers) {
            readers.add(reader);
        }
        return reader;
    }

    /** A collector has journaled every seq up to {@code seq}: those alerts are settled. */
    public void acknowledge(long seq) {
        synchronized (settling) {
            settle(Math.min(seq, lastSeq));
        }
    }

    /**
     * Makes the numbering continue after {@code collectorSeq} when a collector has journaled seqs beyond any this
     * spool ever assigned: the spool was deleted or replaced while the collector kept its journal, and the
     * collector would take the new alerts for ones it already has. The unsettled alerts are spooled again with new
     * seqs, and their old records settled.
     *
     * @return how many alerts were renumbered
     */
    public int continueAfter(long collectorSeq) {
        synchronized (settling) {
            synchronized (appender) {
                if (collectorSeq <= lastSeq) {
                    return 0;
                }
                List<Alert> unsent = new ArrayList<>();
                for (SpoolRecord record; (record = next(unsettled)) != null; ) {
                    try {
                        unsent.add(record.alert());
                    } catch (CorruptRecord e) {
                        countUnreadable(unsettled.lastReadIndex(), e.getMessage());
                    }
                }
                long oldLast = lastSeq;
                lastSeq = collectorSeq;
                lastSeqStore.setOrderedValue(collectorSeq);
                unsent.forEach(this::append);
                settleTo(collectorSeq);
                log.warn("spool numbering was behind the collector's journal (seq {} there, {} here: was the spool "
                        + "reset?); {} unsent alerts renumbered after {}", collectorSeq, oldLast, unsent.size(),
                        collectorSeq);
                return unsent.size();
            }
        }
    }

    /**
     * Discards the oldest unsettled alerts beyond {@link SpoolLimits#maxAlerts} or older than
     * {@link SpoolLimits#maxAge}, counting them as dropped, then deletes the files that hold only settled alerts.
     *
     * @return how many alerts were discarded
     */
    public long enforceLimits() {
        synchronized (settling) {
            long before = settledSeq;
            long excess = lastSeq - settledSeq - limits.maxAlerts();
            if (excess > 0) {
                settle(settledSeq + excess);
            }
            long oldest = queue.time().currentTimeMillis() - limits.maxAge().toMillis();
            // Once a second: with every record settled (the usual case), the queue is not read at all.
            for (SpoolRecord record; settledSeq < lastSeq && (record = peek(unsettled)) != null
                    && record.spooledAtMillis() < oldest; ) {
                settle(record.seq());
            }
            long discarded = settledSeq - before;
            if (discarded > 0) {
                dropped.addAndGet(discarded);
                log.warn("spool limits (at most {} alerts, none older than {}) discarded the {} oldest unsent alerts, "
                        + "through seq {}", limits.maxAlerts(), limits.maxAge(), discarded, settledSeq);
            }
            deleteSettledFiles();
            return discarded;
        }
    }

    @Override
    public void close() {
        synchronized (readers) {
            readers.forEach(SpoolReader::close);
        }
        unsettled.close();
        appender.close();
        lastSeqStore.close();
        settledSeqStore.close();
        queue.close();
    }

    private void write(SpoolRecord record) {
        try (DocumentContext dc = appender.writingDocument()) {
            try {
                record.writeTo(dc.wire().bytes());
            } catch (RuntimeException | InternalError e) {
                dc.rollbackOnClose(); // leave no half-written excerpt for readers to trip over
                throw e;
            }
        }
    }

    /** Null when the spool's file system has room for {@code bytes} and the headroom, else why not. */
    private static String roomFor(FileStore store, Path dir, long bytes) {
        try {
            long usable = store.getUsableSpace();
            return usable >= bytes + HEADROOM_BYTES ? null : "the file system of " + dir + " has " + usable
                    + " bytes free, fewer than the " + (bytes + HEADROOM_BYTES) + " an alert needs";
        } catch (IOException e) {
            return "free space of " + dir + " unknown: " + e.getMessage();
        }
    }

    /** Counts an excerpt that held no alert as lost, once whichever reader meets it. */
    void countUnreadable(long index, String why) {
        if (unreadable.add(index)) {
            dropped.incrementAndGet();
            int n = unreadable.size();
            if (Long.bitCount(n) == 1) { // 1, 2, 4, 8, …: the first and then ever fewer lines
                log.warn("spool excerpt 0x{} holds no alert ({}): counted as lost; {} such so far",
                        Long.toHexString(index), why, n);
            }
        }
    }

    private void settle(long seq) {
        if (seq > settledSeq) {
            settleTo(seq);
        }
    }

    private void settleTo(long seq) {
        settledSeq = seq;
        settledSeqStore.setOrderedValue(seq);
        skipThrough(unsettled, seq);
    }

    /** Files of hours before the first unsettled record's hold nothing to send; the current hour's stays open. */
    private void deleteSettledFiles() {
        int keepFrom = Math.min(unsettled.cycle(), queue.cycle());
        boolean deleted = false;
        for (int cycle = queue.firstCycle(); cycle >= 0 && cycle < keepFrom; cycle++) {
            Path file = queue.file().toPath().resolve(
                    FILE_NAMES.format(Instant.ofEpochMilli((long) cycle * ROLL.lengthInMillis())) + ".cq4");
            try {
                deleted |= Files.deleteIfExists(file);
            } catch (IOException e) {
                log.warn("settled spool file {} not deleted: {}", file, e.getMessage());
            }
        }
        if (deleted) {
            queue.refreshDirectoryListing();
        }
    }

    /** Moves {@code tailer} past every record with a seq up to {@code seq}, and past unreadable excerpts. */
    void skipThrough(ExcerptTailer tailer, long seq) {
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return;
                }
                try {
                    if (SpoolRecord.readSeq(dc.wire().bytes()) > seq) {
                        dc.rollbackOnClose();
                        return;
                    }
                } catch (CorruptRecord e) {
                    countUnreadable(dc.index(), e.getMessage());
                }
            }
        }
    }

    /** The next record, reading past (and counting) unreadable excerpts; null at the end. */
    SpoolRecord next(ExcerptTailer tailer) {
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return null;
                }
                try {
                    return SpoolRecord.readFrom(dc.wire().bytes());
                } catch (CorruptRecord e) {
                    countUnreadable(dc.index(), e.getMessage());
                }
            }
        }
    }

    private SpoolRecord peek(ExcerptTailer tailer) {
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return null;
                }
                try {
                    SpoolRecord record = SpoolRecord.readFrom(dc.wire().bytes());
                    dc.rollbackOnClose();
                    return record;
                } catch (CorruptRecord e) {
                    countUnreadable(dc.index(), e.getMessage());
                }
            }
        }
    }

    /** The seq of the newest readable record, 0 when there is none. */
    private static long lastRecordSeq(SingleChronicleQueue queue) {
        try (ExcerptTailer last = queue.createTailer().direction(TailerDirection.BACKWARD).toEnd()) {
            while (true) {
                try (DocumentContext dc = last.readingDocument()) {
                    if (!dc.isPresent()) {
                        return 0;
                    }
                    try {
                        return SpoolRecord.readSeq(dc.wire().bytes());
                    } catch (CorruptRecord e) {
                        // a zero-filled tail: the records before it tell the numbering; readers count it
                    }
                }
            }
        }
    }
}
