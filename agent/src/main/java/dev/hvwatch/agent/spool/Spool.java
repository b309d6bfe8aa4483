package dev.hvwatch.agent.spool;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
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
 */
public final class Spool implements Closeable {
    /** The {@code stage} label of the spool's drops in {@code hvwatch_events_dropped_total}. */
    public static final String STAGE = "spool";
    private static final Logger log = LoggerFactory.getLogger(Spool.class);
    private static final RollCycle ROLL = RollCycles.FAST_HOURLY;
    private static final String LAST_SEQ = "spool.last-seq";
    private static final String SETTLED_SEQ = "spool.settled-seq";

    private final SingleChronicleQueue queue;
    private final SpoolLimits limits;
    private final ExcerptAppender appender;
    /** Seqs kept in the queue's metadata, so that they outlive the files that retention deletes. */
    private final LongValue lastSeqStore;
    private final LongValue settledSeqStore;
    private final AtomicLong dropped = new AtomicLong();
    private final Object settling = new Object();
    /** At the first record not yet settled; guarded by {@link #settling}. */
    private final ExcerptTailer unsettled;
    private final List<SpoolReader> readers = new ArrayList<>();
    private volatile long lastSeq;
    private volatile long settledSeq;

    private Spool(SingleChronicleQueue queue, SpoolLimits limits) {
        this.queue = queue;
        this.limits = limits;
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

    /** @param time what the spool stamps records and rolls its files by; tests move it forward */
    static Spool open(Path dir, SpoolLimits limits, TimeProvider time) throws IOException {
        Files.createDirectories(dir);
        SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(dir).rollCycle(ROLL).timeProvider(time)
                .build();
        try {
            Spool spool = new Spool(queue, limits);
            log.info("spool {}: seqs up to {}, {} pending", dir, spool.lastSeq, spool.pending());
            return spool;
        } catch (RuntimeException e) {
            queue.close();
            throw new IOException("spool " + dir + " cannot be read: " + e.getMessage(), e);
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
            try {
                write(new SpoolRecord(seq, queue.time().currentTimeMillis(), AlertJson.toBytes(alert.withSeq(seq))));
            } catch (RuntimeException e) {
                dropped.incrementAndGet();
                log.error("alert {} lost: the spool cannot be written: {}", alert.id(), e.toString());
                return 0;
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

    /** Alerts lost: discarded by the limits, or not written at all. */
    public long dropped() {
        return dropped.get();
    }

    public SpoolLimits limits() {
        return limits;
    }

    /** A new reader, positioned at the start; it belongs to the thread that uses it and closes with the spool. */
    public SpoolReader reader() {
        ExcerptTailer tailer = queue.createTailer();
        tailer.singleThreadedCheckDisabled(true);
        SpoolReader reader = new SpoolReader(tailer);
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
                    unsent.add(record.alert());
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
            for (SpoolRecord record; (record = peek(unsettled)) != null && record.spooledAtMillis() < oldest; ) {
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
            record.writeTo(dc.wire().bytes());
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
        DateTimeFormatter names = DateTimeFormatter.ofPattern(ROLL.format()).withZone(ZoneOffset.UTC);
        boolean deleted = false;
        for (int cycle = queue.firstCycle(); cycle >= 0 && cycle < keepFrom; cycle++) {
            Path file = queue.file().toPath().resolve(
                    names.format(Instant.ofEpochMilli((long) cycle * ROLL.lengthInMillis())) + ".cq4");
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

    /** Moves {@code tailer} past every record with a seq up to {@code seq}. */
    static void skipThrough(ExcerptTailer tailer, long seq) {
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return;
                }
                if (SpoolRecord.readSeq(dc.wire().bytes()) > seq) {
                    dc.rollbackOnClose();
                    return;
                }
            }
        }
    }

    static SpoolRecord next(ExcerptTailer tailer) {
        try (DocumentContext dc = tailer.readingDocument()) {
            return dc.isPresent() ? SpoolRecord.readFrom(dc.wire().bytes(), dc.index()) : null;
        }
    }

    private static SpoolRecord peek(ExcerptTailer tailer) {
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) {
                return null;
            }
            dc.rollbackOnClose();
            return SpoolRecord.readFrom(dc.wire().bytes(), dc.index());
        }
    }

    private static long lastRecordSeq(SingleChronicleQueue queue) {
        try (ExcerptTailer last = queue.createTailer().direction(TailerDirection.BACKWARD).toEnd();
             DocumentContext dc = last.readingDocument()) {
            return dc.isPresent() ? SpoolRecord.readSeq(dc.wire().bytes()) : 0;
        }
    }
}
