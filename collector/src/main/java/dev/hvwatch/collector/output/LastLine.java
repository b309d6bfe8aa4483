package dev.hvwatch.collector.output;

import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The last complete line of a JSON-lines output file: where the file, as opposed to the cursor, says it got to. */
final class LastLine {
    private static final Logger log = LoggerFactory.getLogger(LastLine.class);
    private static final byte NEWLINE = '\n';
    private static final LastLine NONE = new LastLine(null, 0);

    private final String agent;
    private final long seq;

    private LastLine(String agent, long seq) {
        this.agent = agent;
        this.seq = seq;
    }

    boolean is(JournalEntry entry) {
        return agent != null && agent.equals(entry.agent()) && seq == entry.seq();
    }

    /**
     * Cuts off a last line without its newline (the remains of a write cut short by a crash; the cursor was not
     * committed past it, so it will be written again) and reads the line before it.
     */
    static LastLine recover(Path file, FileChannel channel) throws IOException {
        long end = channel.size();
        long lineEnd = previousNewline(channel, end);
        if (lineEnd + 1 < end) {
            log.warn("JSON-lines output {} ends in an incomplete line; cutting its {} bytes", file, end - lineEnd - 1);
            channel.truncate(lineEnd + 1);
        }
        if (lineEnd < 0) {
            return NONE;
        }
        long lineStart = previousNewline(channel, lineEnd) + 1;
        ByteBuffer line = ByteBuffer.allocate((int) (lineEnd - lineStart));
        channel.read(line, lineStart);
        try {
            Alert alert = AlertJson.parse(new String(line.array(), StandardCharsets.UTF_8));
            return new LastLine(alert.agent(), alert.seq());
        } catch (UncheckedIOException e) {
            throw new IOException("JSON-lines output " + file + ": last line is " + e.getMessage(), e);
        }
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
