package dev.hvwatch.collector.output.transport;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.output.Formatted;
import dev.hvwatch.collector.output.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends one line per alert to a file, a batch per write. Exactly once across crashes: a batch written before a
 * crash lost the cursor's commit is recognised by the file's last line ({@link LastLine}) and not written again.
 * Rotation happens only between batches, after a commit, so a rotated file never holds an uncommitted line: before a
 * write that would take the file past {@code maxBytes}, or once it has been written to for {@code maxAge}, the file
 * is renamed to {@code PATH.yyyyMMddTHHmmssZ} and a new one begun; beyond {@code keep} rotated files, the oldest go.
 */
public final class FileTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(FileTransport.class);
    private static final DateTimeFormatter SUFFIX =
            DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Path file;
    private final OutputConfig.Rotate rotate;
    private final Clock clock;
    private FileChannel channel;
    private Instant begun;

    public FileTransport(Path file, OutputConfig.Rotate rotate, Clock clock) throws IOException {
        this.file = file.toAbsolutePath();
        this.rotate = rotate;
        this.clock = clock;
        Files.createDirectories(this.file.getParent());
        open();
    }

    public Path file() {
        return file;
    }

    @Override
    public List<Formatted> notYetDelivered(List<Formatted> firstBatch) throws IOException {
        LastLine last = LastLine.recover(file, channel);
        channel.position(channel.size());
        for (int i = firstBatch.size() - 1; i >= 0; i--) {
            if (last.is(firstBatch.get(i))) {
                log.info("file output {}: {} alerts were in the file before the cursor knew; not repeated", file,
                        i + 1);
                return firstBatch.subList(i + 1, firstBatch.size());
            }
        }
        return firstBatch;
    }

    @Override
    public void deliver(List<Formatted> batch) throws IOException {
        ByteArrayOutputStream lines = new ByteArrayOutputStream(batch.size() * 512);
        for (Formatted alert : batch) {
            lines.writeBytes(alert.bytes());
            lines.write('\n');
        }
        if (dueForRotation(lines.size())) {
            rotate();
        }
        long before = channel.size();
        ByteBuffer buffer = ByteBuffer.wrap(lines.toByteArray());
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            // A full disk may have taken part of the batch: cut it off, the whole batch is written again.
            channel.truncate(before);
            channel.position(before);
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private void open() throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        channel.position(channel.size());
        begun = clock.instant();
    }

    private boolean dueForRotation(long adding) throws IOException {
        long size = channel.size();
        if (size == 0) {
            return false;
        }
        boolean tooBig = rotate.maxBytes() > 0 && size + adding > rotate.maxBytes();
        boolean tooOld = rotate.maxAge() != null
                && Duration.between(begun, clock.instant()).compareTo(rotate.maxAge()) >= 0;
        return tooBig || tooOld;
    }

    private void rotate() throws IOException {
        channel.close();
        String stamp = SUFFIX.format(clock.instant());
        Path rotated = file.resolveSibling(file.getFileName() + "." + stamp);
        for (int n = 1; Files.exists(rotated); n++) {
            rotated = file.resolveSibling(file.getFileName() + "." + stamp + "-" + n);
        }
        Files.move(file, rotated);
        log.info("file output {} rotated to {}", file, rotated.getFileName());
        open();
        deleteBeyondKeep();
    }

    private void deleteBeyondKeep() throws IOException {
        Pattern name = Pattern.compile(Pattern.quote(file.getFileName() + ".") + "\\d{8}T\\d{6}Z(-\\d+)?");
        List<Path> rotated;
        try (Stream<Path> siblings = Files.list(file.getParent())) {
            rotated = siblings.filter(p -> name.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
        for (Path old : rotated.subList(0, Math.max(0, rotated.size() - rotate.keep()))) {
            Files.delete(old);
        }
    }
}
