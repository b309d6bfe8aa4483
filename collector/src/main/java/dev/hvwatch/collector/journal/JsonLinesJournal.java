package dev.hvwatch.collector.journal;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's durable record: canonical alerts as JSON lines (UTF-8, one per line), appended and forced to disk
 * one batch at a time. It also remembers the last seq journaled per agent, which makes it the judge of duplicates:
 * an alert whose seq is not above its agent's last one is skipped.
 */
public final class JsonLinesJournal implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(JsonLinesJournal.class);
    private static final byte NEWLINE = '\n';

    private final Path file;
    private final FileChannel channel;
    private final Map<String, Long> lastSeqByAgent;
    private final Consumer<Alert> onAppended;

    private JsonLinesJournal(Path file, FileChannel channel, Map<String, Long> lastSeqByAgent,
            Consumer<Alert> onAppended) {
        this.file = file;
        this.channel = channel;
        this.lastSeqByAgent = lastSeqByAgent;
        this.onAppended = onAppended;
    }

    /**
     * Opens (or creates) the journal and recovers each agent's last seq from it. A last line without its newline is
     * the remains of a write cut short by a crash; it was never acknowledged, so it is cut off.
     *
     * @param onAppended sees every alert after it is on disk, on the appending thread
     */
    public static JsonLinesJournal open(Path file, Consumer<Alert> onAppended) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            cutTornTail(file, channel);
            channel.position(channel.size());
            return new JsonLinesJournal(file, channel, recoverLastSeqs(file), onAppended);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public Path file() {
        return file;
    }

    /** The highest seq journaled for {@code agent}, 0 if none. */
    public long lastSeq(String agent) {
        return lastSeqByAgent.getOrDefault(agent, 0L);
    }

    /** Appends the alerts that are not duplicates, in order, and returns only once they are on disk. */
    public synchronized Appended append(List<Alert> alerts) throws IOException {
        Map<String, Long> batchLastSeqs = new HashMap<>();
        List<Alert> fresh = new ArrayList<>();
        StringBuilder lines = new StringBuilder();
        for (Alert alert : alerts) {
            if (alert.seq() > batchLastSeqs.getOrDefault(alert.agent(), lastSeq(alert.agent()))) {
                batchLastSeqs.put(alert.agent(), alert.seq());
                fresh.add(alert);
                lines.append(AlertJson.toLine(alert)).append('\n');
            }
        }
        if (!fresh.isEmpty()) {
            writeDurably(lines.toString().getBytes(StandardCharsets.UTF_8));
            // Only now, with the batch on disk, may dedup, ACKs and listeners treat it as journaled.
            lastSeqByAgent.putAll(batchLastSeqs);
            fresh.forEach(this::notifyListener);
        }
        return new Appended(fresh.size(), alerts.size() - fresh.size());
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    /** How many alerts of a batch were written and how many were skipped as duplicates. */
    public record Appended(int written, int skipped) {
    }

    /** A failed write is rolled back so that the next batch does not start in the middle of a line. */
    private void writeDurably(byte[] bytes) throws IOException {
        long start = channel.position();
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        } catch (IOException e) {
            channel.truncate(start);
            throw e;
        }
    }

    private void notifyListener(Alert alert) {
        try {
            onAppended.accept(alert);
        } catch (RuntimeException e) {
            log.warn("journal listener failed on alert {}", alert.id(), e);
        }
    }

    private static void cutTornTail(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        long end = size;
        ByteBuffer one = ByteBuffer.allocate(1);
        while (end > 0) {
            one.clear();
            channel.read(one, end - 1);
            if (one.get(0) == NEWLINE) {
                break;
            }
            end--;
        }
        if (end < size) {
            log.warn("journal {} ends in an incomplete line; cutting its {} bytes", file, size - end);
            channel.truncate(end);
        }
    }

    private static Map<String, Long> recoverLastSeqs(Path file) throws IOException {
        Map<String, Long> lastSeqs = new ConcurrentHashMap<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNumber = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lineNumber++;
                Alert alert;
                try {
                    alert = AlertJson.parse(line);
                } catch (UncheckedIOException e) {
                    throw new IOException("journal " + file + " line " + lineNumber + ": " + e.getMessage(), e);
                }
                lastSeqs.merge(alert.agent(), alert.seq(), Math::max);
            }
        }
        return lastSeqs;
    }
}
