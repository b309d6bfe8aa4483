package dev.hvwatch.collector.api;

import dev.hvwatch.collector.api.ApiMetrics.StreamEnd;
import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.collector.journal.JournalScanner;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;

/**
 * One live stream: its connection, its filter and its own scanner of the journal. The journal is the stream's
 * buffer: events are read from it only while the connection takes them (Netty's write buffer is under its high-water
 * mark), so a client that falls behind costs one scanner position, never memory. Used by the pump thread only.
 */
final class StreamClient {
    /** Set on a connection that is closed on purpose, so that the end is counted with its reason. */
    static final AttributeKey<StreamEnd> ENDED_BY = AttributeKey.valueOf("hvwatch.stream.end");
    /** Events go out in chunks of about this size: one write and one HTTP chunk for many events. */
    private static final int CHUNK_BYTES = 16 * 1024;
    /** Per round, so that one client's backlog does not hold up the others. */
    private static final int SCANNED_PER_ROUND = 4096;
    private static final ByteBuf HEARTBEAT =
            Unpooled.unreleasableBuffer(Unpooled.copiedBuffer(": heartbeat\n\n", StandardCharsets.US_ASCII));

    private final Channel channel;
    private final AlertFilter filter;
    private final JournalScanner scanner;
    private final long heartbeatNanos;
    private final long stallTimeoutNanos;
    private long lastWriteNanos;
    /** When the connection was last seen refusing more (not writable) after having taken all; 0 while it takes. */
    private long stalledSinceNanos;

    StreamClient(Channel channel, AlertFilter filter, JournalScanner scanner, long heartbeatNanos,
            long stallTimeoutNanos, long now) {
        this.channel = channel;
        this.filter = filter;
        this.scanner = scanner;
        this.heartbeatNanos = heartbeatNanos;
        this.stallTimeoutNanos = stallTimeoutNanos;
        this.lastWriteNanos = now;
    }

    /** What one round did: how many events it sent, whether more wait right now, and how the stream ended. */
    record Round(int events, boolean moreWaiting, StreamEnd ended) {
    }

    /** Sends what the journal holds for this client while the connection takes it. */
    Round serve(long now) {
        if (!channel.isActive()) {
            StreamEnd end = channel.attr(ENDED_BY).get();
            return ended(end != null ? end : StreamEnd.CLOSED);
        }
        int events = 0;
        boolean caughtUp = false;
        ByteBuf chunk = null;
        for (int scanned = 0; scanned < SCANNED_PER_ROUND && channel.isWritable(); scanned++) {
            JournalEntry entry = scanner.next();
            if (entry == null) {
                caughtUp = true;
                break;
            }
            if (!filter.matches(entry)) {
                continue;
            }
            if (chunk == null) {
                chunk = channel.alloc().buffer(CHUNK_BYTES + entry.json().length + 64);
            }
            Answers.event(chunk, entry);
            events++;
            if (chunk.readableBytes() >= CHUNK_BYTES) {
                channel.write(new DefaultHttpContent(chunk));
                chunk = null;
            }
        }
        if (chunk != null) {
            channel.write(new DefaultHttpContent(chunk));
        }
        if (events > 0) {
            channel.flush();
            lastWriteNanos = now;
        } else if (now - lastWriteNanos >= heartbeatNanos && channel.isWritable()) {
            channel.writeAndFlush(new DefaultHttpContent(HEARTBEAT.duplicate()));
            lastWriteNanos = now;
        }
        if (channel.isWritable()) {
            stalledSinceNanos = 0;
        } else if (stalledSinceNanos == 0) {
            stalledSinceNanos = now;
        } else if (now - stalledSinceNanos > stallTimeoutNanos) {
            close(StreamEnd.SLOW);
            return new Round(events, false, StreamEnd.SLOW);
        }
        return new Round(events, !caughtUp && channel.isWritable(), null);
    }

    void close(StreamEnd end) {
        channel.attr(ENDED_BY).setIfAbsent(end);
        channel.close();
        scanner.close();
    }

    private Round ended(StreamEnd end) {
        scanner.close();
        return new Round(0, false, end);
    }
}
