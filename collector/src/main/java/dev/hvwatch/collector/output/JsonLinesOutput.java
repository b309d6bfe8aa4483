package dev.hvwatch.collector.output;

import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.journal.JournalCursor;
import dev.hvwatch.collector.journal.JournalEntry;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the journal into a file of canonical JSON lines, one alert per line, on its own thread and with its own
 * {@link JournalCursor}: a slow disk here never slows ingest. Lines are written a batch at a time, and the cursor
 * is committed after each batch is in the file; a crash between the two leaves at most one batch in the file that
 * the cursor does not know about, and {@link #resume} recognises it by the file's last line, so that every
 * journaled alert appears exactly once.
 */
public final class JsonLinesOutput implements Closeable {
    /** The cursor's name in the journal. */
    static final String CURSOR = "output-jsonl";
    private static final Logger log = LoggerFactory.getLogger(JsonLinesOutput.class);
    private static final int BATCH_ENTRIES = 1024;
    private static final long MAX_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final AlertJournal journal;
    private final Path file;
    private final FileChannel channel;
    private final LastLine lastLine;
    private final Thread thread;
    private volatile boolean stopping;

    private JsonLinesOutput(AlertJournal journal, Path file, FileChannel channel, LastLine lastLine) {
        this.journal = journal;
        this.file = file;
        this.channel = channel;
        this.lastLine = lastLine;
        this.thread = new Thread(this::run, CURSOR);
    }

    /** Opens (or creates) {@code file}, cutting off a last line that a crash left incomplete, and starts copying. */
    public static JsonLinesOutput start(AlertJournal journal, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            LastLine last = LastLine.recover(file, channel);
            channel.position(channel.size());
            JsonLinesOutput output = new JsonLinesOutput(journal, file, channel, last);
            output.thread.start();
            return output;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public Path file() {
        return file;
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
        channel.close();
    }

    private void run() {
        try (JournalCursor cursor = journal.cursor(CURSOR)) {
            write(resume(cursor), cursor);
            long idleNanos = 0;
            while (!stopping) {
                List<JournalEntry> batch = read(cursor, BATCH_ENTRIES);
                if (batch.isEmpty()) {
                    idleNanos = Math.min(MAX_IDLE_NANOS, Math.max(1_000_000, idleNanos * 2));
                    LockSupport.parkNanos(idleNanos);
                } else {
                    idleNanos = 0;
                    write(batch, cursor);
                }
            }
        } catch (IOException | RuntimeException e) {
            log.error("JSON-lines output {} stopped: {}", file, e.getMessage(), e);
        }
    }

    /**
     * The first entries to write after a restart. Everything up to and including the entry of the file's last
     * line is in the file already; that entry, if it is ahead of the cursor, is within one batch of it.
     */
    private List<JournalEntry> resume(JournalCursor cursor) {
        List<JournalEntry> ahead = read(cursor, BATCH_ENTRIES);
        for (int i = ahead.size() - 1; i >= 0; i--) {
            if (lastLine.is(ahead.get(i))) {
                log.info("JSON-lines output {}: {} alerts were in the file before the cursor knew; not repeated",
                        file, i + 1);
                return ahead.subList(i + 1, ahead.size());
            }
        }
        return ahead;
    }

    private static List<JournalEntry> read(JournalCursor cursor, int max) {
        List<JournalEntry> batch = new ArrayList<>();
        for (JournalEntry entry; batch.size() < max && (entry = cursor.next()) != null; ) {
            batch.add(entry);
        }
        return batch;
    }

    private void write(List<JournalEntry> batch, JournalCursor cursor) throws IOException {
        ByteArrayOutputStream lines = new ByteArrayOutputStream(batch.size() * 512);
        for (JournalEntry entry : batch) {
            lines.write(entry.json());
            lines.write('\n');
        }
        ByteBuffer buffer = ByteBuffer.wrap(lines.toByteArray());
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        cursor.commit();
    }
}
