package dev.hvwatch.collector.journal;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.EncodedAlert;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
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
 *
 * <p><b>A full disk.</b> Chronicle writes through a memory mapping, and a write into a page the file system cannot
 * back (a full disk, a full tmpfs) is not an error the writer can handle but a SIGBUS, which the JVM turns into an
 * {@link InternalError} and which leaves the queue's write lock held. So the journal checks the free space before
 * every batch: below {@code minFreeBytes} plus the batch it takes nothing, {@link #append} throws
 * {@link JournalUnavailableException} (ingest refuses the batch; the agent keeps it), and it says why
 * ({@link #unavailableReason}) until {@link #tryOpen} finds room again. Opening on a full disk likewise leaves the
 * journal unavailable instead of failing, and {@link #tryOpen} opens it once there is room. Should a write fault all the same
 * (another writer filled the disk between the check and the write), the journal takes nothing more until the
 * collector restarts, which frees the lock; nothing it acknowledged is lost.
 */
public final class AlertJournal implements Closeable {
    /** The default of {@code journal.minFreeBytes}. */
    public static final long DEFAULT_MIN_FREE_BYTES = 64L * 1024 * 1024;
    private static final Logger log = LoggerFactory.getLogger(AlertJournal.class);
    private static final String FIRST_INDEX_ID = "journal.first-index";
    /** Agent and seq, the excerpt's header and the index's share of an entry, beyond its JSON. */
    private static final int ENTRY_OVERHEAD_BYTES = 128;

    private final Path dir;
    private final boolean sync;
    private final long minFreeBytes;
    private final Consumer<Alert> onAppended;
    /** Indexes of entries found unreadable, by recovery or a reader; each is skipped, and counted once. */
    private final Set<Long> unreadable = ConcurrentHashMap.newKeySet();
    /** Null until the queue is open. */
    private volatile Opened opened;
    /** Why the journal takes no alerts now, null when it does. */
    private volatile String unavailable;
    /** A write faulted: the queue's write lock is lost until the process ends. */
    private volatile String faulted;
    /** The bytes of the batch last refused for lack of room: the agent sends it first when it comes back. */
    private long refusedBytes;

    /** What exists once the queue is open. */
    private record Opened(SingleChronicleQueue queue, ExcerptAppender appender, Map<String, Long> lastSeqByAgent,
            LongValue firstEverIndex, FileStore store, AtomicLong entries) {
    }

    private AlertJournal(Path dir, boolean sync, long minFreeBytes, Consumer<Alert> onAppended) {
        this.dir = dir;
        this.sync = sync;
        this.minFreeBytes = minFreeBytes;
        this.onAppended = onAppended;
    }

    /** {@link #open(Path, boolean, long, Consumer)} with {@value #DEFAULT_MIN_FREE_BYTES} bytes kept free. */
    public static AlertJournal open(Path dir, boolean sync, Consumer<Alert> onAppended) throws IOException {
        return open(dir, sync, DEFAULT_MIN_FREE_BYTES, onAppended);
    }

    /**
     * Opens (or creates) the journal in {@code dir} and recovers each agent's last seq from it. On a disk without
     * {@code minFreeBytes} free, or one whose mapping faults, the journal is returned unavailable, saying why, and
     * {@link #tryOpen} opens it later.
     *
     * @param sync force every batch to the disk before it counts as journaled
     * @param minFreeBytes room the journal leaves on its file system, so that its mapped writes never hit a full disk
     * @param onAppended sees every alert after it is journaled, on the appending thread
     * @throws IOException when the journal exists but cannot be read, or the directory cannot be made
     */
    public static AlertJournal open(Path dir, boolean sync, long minFreeBytes, Consumer<Alert> onAppended)
            throws IOException {
        AlertJournal journal = new AlertJournal(dir, sync, minFreeBytes, onAppended);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            if (Files.isDirectory(dir.getParent() == null ? dir : dir.getParent())) {
                journal.becameUnavailable("its directory cannot be made: " + e);
                return journal;
            }
            throw e;
        }
        journal.tryOpen();
        return journal;
    }

    /**
     * Opens the queue if it is not open, and takes alerts again once there is room for the batch last refused: what
     * the collector calls now and then while the journal is unavailable. Ingest refuses agents while it is, so no
     * append would find the room.
     *
     * @return whether the journal takes alerts
     * @throws IOException when the journal exists but cannot be read
     */
    public synchronized boolean tryOpen() throws IOException {
        Opened open = opened;
        if (open != null) {
            if (faulted == null && unavailable != null && freeSpace(open) >= minFreeBytes + refusedBytes) {
                becameAvailable();
            }
            return unavailable == null;
        }
        FileStore store = Files.getFileStore(dir);
        long free = store.getUsableSpace();
        if (free < minFreeBytes) {
            becameUnavailable(diskFull(free, 0));
            return false;
        }
        SingleChronicleQueue queue = null;
        try {
            queue = sync ? builder(dir).syncMode(SyncMode.SYNC).build() : builder(dir).build();
            Map<String, Long> lastSeqs = new ConcurrentHashMap<>();
            long entries = recover(queue, lastSeqs);
            LongValue firstEver = queue.indexForId(FIRST_INDEX_ID);
            if (firstEver.getVolatileValue() == 0 && entries > 0) {
                // A journal of an earlier version, which did not keep it: its oldest entry is the best known.
                firstEver.setOrderedValue(queue.firstIndex());
            }
            ExcerptAppender appender = queue.createAppender();
            // Appends are serialised by this object's lock, not confined to one thread.
            appender.singleThreadedCheckDisabled(true);
            opened = new Opened(queue, appender, lastSeqs, firstEver, store, new AtomicLong(entries));
            log.info("journal {} opened: {} alerts of {} agents{}", dir, entries, lastSeqs.size(),
                    unreadable.isEmpty() ? "" : "; " + unreadable.size() + " unreadable entries skipped (counted)");
            becameAvailable();
            return true;
        } catch (InternalError e) {
            closeQuietly(queue);
            becameUnavailable("opening it faulted in its memory mapping (" + e.getMessage() + "); "
                    + store.getUsableSpace() + " bytes free");
            return false;
        } catch (RuntimeException e) {
            closeQuietly(queue);
            throw new IOException("journal " + dir + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** The queue in {@code dir}, one file per day. */
    static SingleChronicleQueueBuilder builder(Path dir) {
        return SingleChronicleQueueBuilder.binary(dir).rollCycle(RollCycles.FAST_DAILY);
    }

    public Path dir() {
        return dir;
    }

    /** The highest seq journaled for {@code agent}, 0 if none or the journal is not open. */
    public long lastSeq(String agent) {
        Opened open = opened;
        return open == null ? 0 : open.lastSeqByAgent().getOrDefault(agent, 0L);
    }

    /** How many alerts the journal holds (0 while it is not open). */
    public long entries() {
        Opened open = opened;
        return open == null ? 0 : open.entries().get();
    }

    /** Why the journal takes no alerts now, or null when it takes them. */
    public String unavailableReason() {
        return unavailable;
    }

    /** Entries found that cannot be read: skipped by recovery and by readers, each counted once. */
    public long unreadableEntries() {
        return unreadable.size();
    }

    /**
     * Appends the alerts that are not duplicates, in order, each as its JSON, and returns once they are journaled.
     * Batches come from one agent, so the agent's last seq is looked up once per run of its alerts.
     *
     * @throws JournalUnavailableException when the journal cannot take them now (not open, disk full); none was
     *     journaled then, or, if a write faulted half-way, those written are kept and the rest refused
     */
    public synchronized Appended append(List<EncodedAlert> alerts) {
        Opened open = writable(alerts);
        Map<String, Long> batchLastSeqs = new HashMap<>();
        List<Alert> fresh = new ArrayList<>(alerts.size());
        String agent = null;
        long last = 0;
        try {
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
                    write(open, agent, last, encoded.json());
                }
            }
            if (!fresh.isEmpty() && sync) {
                // msync of the pages written; a no-op unless the queue was built with SyncMode.SYNC.
                open.appender().sync();
            }
        } catch (InternalError e) {
            faulted = "a write into the journal's memory mapping faulted (" + e.getMessage() + ", "
                    + freeSpace(open) + " bytes free); restart the collector once the disk has room";
            becameUnavailable(faulted);
            throw new JournalUnavailableException(faulted);
        }
        if (agent != null) {
            batchLastSeqs.put(agent, last);
        }
        if (!fresh.isEmpty()) {
            // Only now may dedup, ACKs and listeners treat the batch as journaled.
            open.lastSeqByAgent().putAll(batchLastSeqs);
            fresh.forEach(this::notifyListener);
        }
        return new Appended(fresh.size(), alerts.size() - fresh.size());
    }

    /** A reader of the journal whose position persists in the journal under {@code name}; see {@link JournalCursor}. */
    public JournalCursor cursor(String name) {
        Opened open = requireOpen();
        return new JournalCursor(open.queue(), name, this::entries, this::firstEverIndex, unreadable);
    }

    public boolean isOpen() {
        Opened open = opened;
        return open != null && !open.queue().isClosed();
    }

    /** A reader of the journal that starts wherever it is told; see {@link JournalScanner}. */
    public JournalScanner scanner() {
        return new JournalScanner(requireOpen().queue(), this::firstEverIndex, unreadable);
    }

    private long firstEverIndex() {
        Opened open = opened;
        return open == null ? 0 : open.firstEverIndex().getVolatileValue();
    }

    @Override
    public synchronized void close() {
        Opened open = opened;
        if (open == null) {
            return;
        }
        if (faulted == null) {
            open.appender().close();
        }
        open.firstEverIndex().close();
        open.queue().close();
    }

    /** How many alerts of a batch were written and how many were skipped as duplicates. */
    public record Appended(int written, int skipped) {
    }

    /** The open queue, if the batch fits on the disk with {@code minFreeBytes} to spare. */
    private Opened writable(List<EncodedAlert> alerts) {
        Opened open = opened;
        if (faulted != null) {
            throw new JournalUnavailableException(faulted);
        }
        if (open == null) {
            throw new JournalUnavailableException("the journal is not open: " + unavailable);
        }
        long needed = 0;
        for (EncodedAlert encoded : alerts) {
            needed += encoded.json().length + ENTRY_OVERHEAD_BYTES;
        }
        long free = freeSpace(open);
        if (free < minFreeBytes + needed) {
            String reason = diskFull(free, needed);
            refusedBytes = needed;
            becameUnavailable(reason);
            throw new JournalUnavailableException(reason);
        }
        becameAvailable();
        return open;
    }

    private Opened requireOpen() {
        Opened open = opened;
        if (open == null) {
            throw new JournalUnavailableException("the journal is not open: " + unavailable);
        }
        return open;
    }

    private long freeSpace(Opened open) {
        try {
            return open.store().getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    private String diskFull(long free, long needed) {
        return "disk full: " + free + " bytes free on the file system of " + dir + ", the journal keeps "
                + minFreeBytes + " (journal.minFreeBytes)" + (needed > 0 ? " beyond the batch's " + needed : "");
    }

    /** Says it once, when it starts, in one log line; later reasons only update what readiness shows. */
    private void becameUnavailable(String reason) {
        if (unavailable == null) {
            log.error("journal {} takes no alerts: {}; ingest refuses them (agents keep them spooled) until it can",
                    dir, reason);
        }
        unavailable = reason;
    }

    private void becameAvailable() {
        if (unavailable != null) {
            log.info("journal {} takes alerts again", dir);
            unavailable = null;
        }
    }

    private void write(Opened open, String agent, long seq, byte[] json) {
        try (DocumentContext dc = open.appender().writingDocument()) {
            JournalFormat.write(dc.wire().bytes(), agent, seq, json);
        }
        if (open.entries().getAndIncrement() == 0 && open.firstEverIndex().getVolatileValue() == 0) {
            open.firstEverIndex().setOrderedValue(open.appender().lastIndexAppended());
        }
    }

    private void notifyListener(Alert alert) {
        try {
            onAppended.accept(alert);
        } catch (RuntimeException e) {
            log.warn("journal listener failed on alert {}", alert.id(), e);
        }
    }

    /**
     * Fills {@code lastSeqs} from the queue and returns how many entries it holds. An entry that cannot be read is
     * skipped and counted, never dropped unnoticed.
     */
    private long recover(SingleChronicleQueue queue, Map<String, Long> lastSeqs) {
        long entries = 0;
        try (ExcerptTailer tailer = queue.createTailer()) {
            for (;; entries++) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        return entries;
                    }
                    Bytes<?> bytes = dc.wire().bytes();
                    try {
                        JournalFormat.Key key = JournalFormat.readKey(bytes, dc.index());
                        lastSeqs.merge(key.agent(), key.seq(), Math::max);
                    } catch (IllegalStateException e) {
                        if (unreadable.add(dc.index())) {
                            log.warn("journal entry 0x{} cannot be read and is skipped (counted): {}",
                                    Long.toHexString(dc.index()), e.getMessage());
                        }
                    }
                }
            }
        }
    }

    private static void closeQuietly(SingleChronicleQueue queue) {
        if (queue != null) {
            try {
                queue.close();
            } catch (RuntimeException | InternalError e) {
                log.debug("closing the journal's queue failed", e);
            }
        }
    }
}
