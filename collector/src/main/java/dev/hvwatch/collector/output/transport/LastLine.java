package dev.hvwatch.collector.output.transport;

import dev.hvwatch.collector.output.Formatted;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last complete line of a file output: where the file, as opposed to the cursor, says it got to. Formats are
 * pure functions of the alert and carry its (agent, seq), so the line is recognised by comparing bytes.
 */
final class LastLine {
    private static final Logger log = LoggerFactory.getLogger(LastLine.class);
    private static final byte NEWLINE = '\n';
    private static final LastLine NONE = new LastLine(null);

    private final byte[] line;

    private LastLine(byte[] line) {
        this.line = line;
    }

    boolean is(Formatted alert) {
        return line != null && Arrays.equals(line, alert.bytes());
    }

    /**
     * Cuts off a last line without its newline (the remains of a write cut short by a crash; the cursor was not
     * committed past it, so it will be written again) and reads the line before it.
     */
    static LastLine recover(Path file, FileChannel channel) throws IOException {
        long end = channel.size();
        long lineEnd = previousNewline(channel, end);
        if (lineEnd + 1 < end) {
            log.warn("file output {} ends in an incomplete line; cutting its {} bytes", file, end - lineEnd - 1);
            channel.truncate(lineEnd + 1);
        }
        if (lineEnd < 0) {
            return NONE;
        }
        long lineStart = previousNewline(channel, lineEnd) + 1;
        ByteBuffer line = ByteBuffer.allocate((int) (lineEnd - lineStart));
        channel.read(line, lineStart);
        return new LastLine(line.array());
    }

    /** The position of the last newline before {@code end}, -1 if none. */
    private static long previousNewline(FileChannel channel, long end) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        for (long at = end - 1; at >= 0; at--) {
            one.clear();
            channel.read(one, at);
            if (one.get(0) == NEWLINE) {
                return at;
            }
        }
        return -1;
    }
}
