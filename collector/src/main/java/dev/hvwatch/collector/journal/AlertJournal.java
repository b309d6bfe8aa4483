package dev.hvwatch.collector.journal;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.EncodedAlert;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's durable record of every alert it has acknowledged: a Chronicle Queue of {@link JournalEntry}s.
 * A batch is in the memory-mapped queue files when {@link #append} returns, so it survives the collector being
 * killed; with {@code sync} it is also forced to the disk, so it survives the host losing power.
 *
 * <p>The journal is the judge of duplicates: it remembers the highest seq journaled per agent and skips any alert
 * whose seq is not above it. That memory is rebuilt from the queue when the journal opens.
 */
public final class AlertJournal implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(AlertJournal.class);
    private static final String FIRST_INDEX_ID = "journal.first-index";

    private final SingleChronicleQueue queue;
    private final ExcerptAppender appender;
    private final boolean sync;
    private final Map<String, Long> lastSeqByAgent;
    private final Consumer<Alert> onAppended;
    /** The index of the first entry this journal ever held, kept in its metadata: tells old from foreign cursors. */
    private final LongValue firstEverIndex;
    /** Entries the journal holds; outputs measure their lag against it. */
    private volatile long entries;

    private AlertJournal(SingleChronicleQueue queue, boolean sync, Map<String, Long> lastSeqByAgent, long entries,
            Consumer<Alert> onAppended) {
        this.queue = queue;
        this.appender = queue.createAppender();
        // Appends are serialised by this object's lock, not confined to one thread.
        this.appender.singleThreadedCheckDisabled(true);
        this.sync = sync;
        this.lastSeqByAgent = lastSeqByAgent;
        this.entries = entries;
        this.onAppended = onAppended;
        this.firstEverIndex = queue.indexForId(FIRST_INDEX_ID);
        if (firstEverIndex.getVolatileValue() == 0 && entries > 0) {
            // A journal of an earlier version, which did not keep it: its oldest entry is the best known.
            firstEverIndex.setOrderedValue(queue.firstIndex());
        }
    }

    /**
     * Opens (or creates) the journal in {@code dir} and recovers each agent's last seq from it.
     *
     * @param sync force every batch to the disk before it counts as journaled
     * @param onAppended sees every alert after it is journaled, on the appending thread
     */
    public static AlertJournal open(Path dir, boolean sync, Consumer<Alert> onAppended) throws IOException {
        Files.createDirectories(dir);
        SingleChronicleQueue queue = sync
                ? builder(dir).syncMode(SyncMode.SYNC).build()
                : builder(dir).build();
        try {
            Map<String, Long> lastSeqs = new ConcurrentHashMap<>();
            long entries = recoverLastSeqs(queue, lastSeqs);
            log.info("journal {} opened: {} alerts of {} agents", dir, entries, lastSeqs.size());
            return new AlertJournal(queue, sync, lastSeqs, entries, onAppended);
        } catch (RuntimeException e) {
            queue.close();
            throw new IOException("journal " + dir + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** The queue in {@code dir}, one file per day. */
    static SingleChronicleQueueBuilder builder(Path dir) {
        return SingleChronicleQueueBuilder.binary(dir).rollCycle(RollCycles.FAST_DAILY);
    }

    public Path dir() {
        return queue.file().toPath();
    }

    /** The highest seq journaled for {@code agent}, 0 if none. */
    public long lastSeq(String agent) {
        return lastSeqByAgent.getOrDefault(agent, 0L);
    }

    /** How many alerts the journal holds. */
    public long entries() {
        return entries;
    }

    /**
     * Appends the alerts that are not duplicates, in order, each as its JSON, and returns once they are journaled.
     * Batches come from one agent, so the agent's last seq is looked up once per run of its alerts.
     */
    public synchronized Appended append(List<EncodedAlert> alerts) {
        Map<String, Long> batchLastSeqs = new HashMap<>();
        List<Alert> fresh = new ArrayList<>(alerts.size());
        String agent = null;
        long last = 0;
        for (EncodedAlert encoded : alerts) {
            Alert alert = encoded.alert();
            if (!alert.agent().equals(agent)) {
                if (agent != null) {
                    batchLastSeqs.put(agent, last);
                }
                agent = alert.agent();
                last = batchLastSeqs.getOrDefault(agent, lastSeq(agent));
            }
            if (alert.seq() > last) {
                last = alert.seq();
                fresh.add(alert);
                write(agent, last, encoded.json());
            }
        }
        if (agent != null) {
            batchLastSeqs.put(agent, last);
        }
        if (!fresh.isEmpty()) {
            if (sync) {
                // msync of the pages written; a no-op unless the queue was built with SyncMode.SYNC.
                appender.sync();
            }
            // Only now may dedup, ACKs and listeners treat the batch as journaled.
            lastSeqByAgent.putAll(batchLastSeqs);
            fresh.forEach(this::notifyListener);
        }
        return new Appended(fresh.size(), alerts.size() - fresh.size());
    }

    /** A reader of the journal whose position persists in the journal under {@code name}; see {@link JournalCursor}. */
    public JournalCursor cursor(String name) {
        return new JournalCursor(queue, name, this::entries, this::firstEverIndex);
    }

    public boolean isOpen() {
        return !queue.isClosed();
    }

    /** A reader of the journal that starts wherever it is told; see {@link JournalScanner}. */
    public JournalScanner scanner() {
        return new JournalScanner(queue, this::firstEverIndex);
    }

    private long firstEverIndex() {
        return firstEverIndex.getVolatileValue();
    }

    @Override
    public synchronized void close() {
        appender.close();
        firstEverIndex.close();
        queue.close();
    }

    /** How many alerts of a batch were written and how many were skipped as duplicates. */
    public record Appended(int written, int skipped) {
    }

    private void write(String agent, long seq, byte[] json) {
        try (DocumentContext dc = appender.writingDocument()) {
            JournalFormat.write(dc.wire().bytes(), agent, seq, json);
        }
        if (entries++ == 0 && firstEverIndex.getVolatileValue() == 0) {
            firstEverIndex.setOrderedValue(appender.lastIndexAppended());
        }
    }

    private void notifyListener(Alert alert) {
        try {
            onAppended.accept(alert);
        } catch (RuntimeException e) {
            log.warn("journal listener failed on alert {}", alert.id(), e);
        }
    }

    /** Fills {@code lastSeqs} from the queue and returns how many entries it holds. */
    private static long recoverLastSeqs(SingleChronicleQueue queue, Map<String, Long> lastSeqs) {
        long entries = 0;
        try (ExcerptTailer tailer = queue.createTailer()) {
            for (;; entries++) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        return entries;
                    }
                    Bytes<?> bytes = dc.wire().bytes();
                    String agent = JournalFormat.readAgent(bytes, dc.index());
                    lastSeqs.merge(agent, bytes.readLong(), Math::max);
                }
            }
        }
    }
}
