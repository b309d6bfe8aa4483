package dev.hvwatch.agent.source.kmsg;

import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.source.IommuFaults;
import dev.hvwatch.agent.source.Source;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams the kernel log from {@code /dev/kmsg} on a thread of its own (a read blocks until the next record) and
 * publishes the records {@link KernelLogClassifier} recognises as notices. Only facility-0 records are the kernel's
 * word: a userspace record that looks like an IOMMU fault is counted as spoofed and raises nothing. The
 * {@link KmsgCursor} keeps a restarted agent from acting on a record twice; it is saved before each notice is
 * published, and once per sampling round for the records in between. Each IOMMU fault also counts in
 * {@code hvwatch_iommu_faults_total{device,reason,source="kmsg"}}, suppressed ones under reason "suppressed".
 */
public final class KmsgSource implements Source, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KmsgSource.class);
    /** A record is at most 1 KiB of text plus its dictionary lines; a short read buffer gives EINVAL. */
    private static final int RECORD_BUFFER = 16 * 1024;

    private final Path device;
    private final KmsgCursor cursor;
    private final EventRing ring;
    private final KernelLogClassifier classifier = new KernelLogClassifier();
    private final Map<List<String>, FaultCount> faults = new HashMap<>();
    private final LongAdder records = new LongAdder();
    private final LongAdder parseErrors = new LongAdder();
    private final LongAdder spoofed = new LongAdder();
    private final LongAdder missed = new LongAdder();
    private final Thread reader;
    private volatile FileChannel channel;
    private volatile Exception failure;
    private volatile boolean closing;
    private long savedSeq = -1;
    private boolean cursorFailing;
    private final LongAdder cursorSaveFailures = new LongAdder();

    public KmsgSource(Path device, KmsgCursor cursor, EventRing ring) {
        this.device = device;
        this.cursor = cursor;
        this.ring = ring;
        this.reader = new Thread(this::readLoop, "hvwatch-kmsg");
        reader.setDaemon(true);
    }

    /** Opens the device and starts reading; the first records are the oldest the kernel still holds. */
    public KmsgSource start() throws IOException {
        channel = FileChannel.open(device, StandardOpenOption.READ);
        reader.start();
        return this;
    }

    @Override
    public String name() {
        return "kmsg";
    }

    /** Reports the reader's health to the sampler and saves the cursor for the records read since last round. */
    @Override
    public void sample(long nowNanos) throws Exception {
        Exception failed = failure;
        if (failed != null) {
            throw failed;
        }
        saveCursor();
    }

    private void readLoop() {
        ByteBuffer buffer = ByteBuffer.allocate(RECORD_BUFFER);
        while (!closing) {
            buffer.clear();
            try {
                int n = channel.read(buffer);
                if (n < 0) {
                    failure = new IOException(device + ": end of file (not the kernel log device?)");
                    return;
                }
                handle(new String(buffer.array(), 0, n, StandardCharsets.UTF_8));
            } catch (AsynchronousCloseException e) {
                return; // closed by close()
            } catch (IOException e) {
                if ("Broken pipe".equals(e.getMessage())) {
                    // EPIPE: the kernel overwrote records before we read them.
                    missed.increment();
                    continue;
                }
                failure = new IOException(device + ": " + e.getMessage(), e);
                LOG.warn("kernel log reader stopped: {}", failure.getMessage());
                return;
            }
        }
    }

    private void handle(String raw) throws IOException {
        KmsgRecord record;
        try {
            record = KmsgRecord.parse(raw);
        } catch (KmsgFormatException e) {
            parseErrors.increment();
            LOG.debug("{}: {}", device, e.getMessage());
            return;
        }
        if (cursor.seen(record.seq())) {
            return;
        }
        records.increment();
        Optional<Notice> notice = classifier.classify(record.message());
        cursor.advance(record.seq());
        if (notice.isEmpty()) {
            return;
        }
        if (!record.fromKernel()) {
            spoofed.increment();
            LOG.warn("ignored a kernel-log record written by userspace (facility {}) that reads like '{}': {}",
                    record.facility(), notice.get().type(), record.message());
            return;
        }
        saveCursor();
        long now = nowNanos();
        Notice n = notice.get();
        ring.publishNotice(now, null, n);
        countFault(now, n);
    }

    private void countFault(long now, Notice n) {
        String reason;
        long increment;
        if (n.type().equals("iommu.fault")) {
            reason = String.valueOf(n.facts().get("reason"));
            increment = 1;
        } else if (n.type().equals("iommu.faults_suppressed")) {
            reason = "suppressed";
            increment = (Long) n.facts().get("count");
        } else {
            return;
        }
        String device = n.device() != null ? n.device() : "";
        FaultCount count = faults.computeIfAbsent(List.of(device, reason),
                k -> new FaultCount(IommuFaults.series(device, reason, name())));
        count.total += increment;
        ring.publishSample(now, null, -1, count.series, count.total);
    }

    /**
     * Saves the cursor if it moved. A cursor that cannot be written (a full disk) costs only a record handled twice
     * after a restart, so the reader goes on: the failure is logged once and counted, and saving is tried again.
     */
    private synchronized void saveCursor() {
        long seq = cursor.lastSeq();
        if (seq == savedSeq) {
            return;
        }
        try {
            cursor.save();
            if (cursorFailing) {
                LOG.info("kernel log cursor saved again");
                cursorFailing = false;
            }
            savedSeq = seq;
        } catch (IOException e) {
            cursorSaveFailures.increment();
            if (!cursorFailing) {
                LOG.warn("kernel log cursor not saved ({}): kernel-log records may be handled again after a restart; "
                        + "retrying", e.toString());
                cursorFailing = true;
            }
        }
    }

    /** Times the cursor could not be saved. */
    public long cursorSaveFailures() {
        return cursorSaveFailures.sum();
    }

    private static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** Records read (and new to this agent) since start. */
    public long records() {
        return records.sum();
    }

    /** Records whose layout was not /dev/kmsg's. */
    public long errors() {
        return parseErrors.sum();
    }

    /** Userspace records that imitated a kernel fault line. */
    public long spoofed() {
        return spoofed.sum();
    }

    /** Times the kernel overwrote records before they were read (each may be several records). */
    public long missed() {
        return missed.sum();
    }

    /** The newest record handled. */
    public long lastSeq() {
        return cursor.lastSeq();
    }

    @Override
    public void close() throws IOException {
        closing = true;
        FileChannel ch = channel;
        if (ch != null) {
            ch.close();
        }
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        saveCursor();
    }

    private static final class FaultCount {
        final Series series;
        long total;

        FaultCount(Series series) {
            this.series = series;
        }
    }
}
