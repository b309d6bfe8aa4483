package dev.hvwatch.collector.output;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.journal.JournalCursor;
import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.collector.output.format.AlertFormat;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.Backoff;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One output: its own thread reads the journal with its own persisted {@link JournalCursor}, a batch at a time,
 * formats the batch, hands it to the transport and commits the cursor once the transport has it. While the
 * destination fails, the same batch is retried after a growing delay; ingest and the other outputs go on, and the
 * output's lag shows what it owes. A restart resumes after the last committed batch, so nothing is skipped; a batch
 * delivered before a crash lost its commit is delivered again (except by transports that can tell, see
 * {@link Transport#notYetDelivered}). While the journal is not open (a collector started on a full disk), the output
 * waits for it. An entry whose JSON does not parse (a damaged journal) is skipped, logged and counted
 * ({@link #skipped}), never retried for ever nor dropped unnoticed.
 */
public final class Output implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Output.class);
    private static final long MAX_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** A destination that stays down is reported again at most this often, not at every retry. */
    private static final long REPORT_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final String name;
    private final AlertJournal journal;
    /** Made once the journal is open; confined to the output's thread but for {@link #lag}. */
    private volatile JournalCursor cursor;
    private final AlertFormat format;
    private final Transport transport;
    private final int batchSize;
    private final Backoff backoff;
    private final Thread thread;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private volatile boolean up = true;
    private volatile boolean stopping;
    private long lastReportNanos;

    private Output(String name, AlertJournal journal, AlertFormat format, Transport transport, int batchSize,
            Backoff backoff) {
        this.name = name;
        this.journal = journal;
        this.format = format;
        this.transport = transport;
        this.batchSize = batchSize;
        this.backoff = backoff;
        this.thread = new Thread(this::run, "output-" + name);
    }

    /**
     * Starts reading the journal from the cursor named {@code output-NAME}; the output owns {@code transport} and
     * closes it with itself.
     */
    public static Output start(String name, AlertJournal journal, AlertFormat format, Transport transport,
            int batchSize, Duration retryInitial, Duration retryMax) {
        Output output = new Output(name, journal, format, transport, batchSize, new Backoff(retryInitial, retryMax));
        if (journal.isOpen()) {
            output.cursor = journal.cursor(cursorName(name));
        }
        output.thread.start();
        return output;
    }

    /** The cursor's name in the journal: the JSON-lines output's of earlier versions for the output "jsonl". */
    static String cursorName(String output) {
        return "output-" + output;
    }

    public String name() {
        return name;
    }

    /** Journaled alerts this output has not delivered yet; 0 while the journal is not open. */
    public long lag() {
        JournalCursor reading = cursor;
        return reading == null ? journal.entries() : reading.lag();
    }

    /** Journal entries skipped because their JSON does not parse, since the collector started. */
    public long skipped() {
        return skipped.get();
    }

    /** Alerts delivered since the collector started. */
    public long delivered() {
        return delivered.get();
    }

    /** Failed deliveries (each retried) since the collector started. */
    public long errors() {
        return errors.get();
    }

    /** False while the destination is failing. */
    public boolean up() {
        return up;
    }

    @Override
    public void close() throws IOException {
        stopping = true;
        LockSupport.unpark(thread);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            transport.close();
        } finally {
            if (cursor != null) {
                cursor.close();
            }
        }
    }

    private void run() {
        List<JournalEntry> entries = List.of();
        List<Formatted> batch = null;
        boolean resumed = false;
        long idleNanos = 0;
        while (!stopping) {
            try {
                if (cursor == null) {
                    if (!journal.isOpen()) {
                        LockSupport.parkNanos(MAX_IDLE_NANOS);
                        continue;
                    }
                    cursor = journal.cursor(cursorName(name));
                }
                if (entries.isEmpty()) {
                    // After a start, read as far as any earlier batch can have reached, whatever its size was then.
                    entries = read(resumed ? batchSize : OutputConfig.MAX_BATCH_SIZE);
                }
                if (entries.isEmpty()) {
                    idleNanos = Math.min(MAX_IDLE_NANOS, Math.max(1_000_000, idleNanos * 2));
                    LockSupport.parkNanos(idleNanos);
                    continue;
                }
                idleNanos = 0;
                if (batch == null) {
                    batch = formatted(entries);
                    if (!resumed) {
                        batch = transport.notYetDelivered(batch);
                        resumed = true;
                    }
                }
                if (!batch.isEmpty()) {
                    transport.deliver(batch);
                }
                cursor.commit();
                delivered.addAndGet(batch.size());
                entries = List.of();
                batch = null;
                recovered();
            } catch (IOException | RuntimeException | InternalError e) {
                // InternalError: a read that faulted in the journal's mapping (a full tmpfs); tried again later.
                failed(e);
                LockSupport.parkNanos(backoff.next().toNanos());
            }
        }
    }

    /** The next batch of entries; the cursor has moved past them, so they are kept until committed. */
    private List<JournalEntry> read(int max) {
        List<JournalEntry> entries = new ArrayList<>();
        for (JournalEntry entry; entries.size() < max && (entry = cursor.next()) != null; ) {
            entries.add(entry);
        }
        return entries;
    }

    private List<Formatted> formatted(List<JournalEntry> entries) {
        List<Formatted> batch = new ArrayList<>(entries.size());
        for (JournalEntry entry : entries) {
            Alert alert;
            try {
                alert = entry.alert();
            } catch (UncheckedIOException e) {
                skipped.incrementAndGet();
                log.error("output {}: journal entry 0x{} (agent {}, seq {}) is not a readable alert and is skipped "
                        + "(counted): {}", name, Long.toHexString(entry.index()), entry.agent(), entry.seq(),
                        e.getMessage());
                continue;
            }
            batch.add(new Formatted(entry, alert, format.format(entry, alert)));
        }
        return batch;
    }

    private void failed(Throwable e) {
        errors.incrementAndGet();
        long now = System.nanoTime();
        if (up || now - lastReportNanos > REPORT_EVERY_NANOS) {
            log.warn("output {}: delivery failed, retrying with backoff (lag {} alerts): {}", name, lag(),
                    e.toString());
            lastReportNanos = now;
        }
        up = false;
    }

    private void recovered() {
        if (!up) {
            log.info("output {}: delivering again", name);
        }
        up = true;
        backoff.reset();
    }
}
