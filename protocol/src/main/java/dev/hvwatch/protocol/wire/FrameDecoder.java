package dev.hvwatch.protocol.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.hvwatch.protocol.EncodedAlert;
import dev.hvwatch.protocol.AlertJson;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Reads {@link Frame}s in the layout of {@link WireFormat}. Any violation raises a {@link ProtocolException}, after
 * which the rest of the stream is discarded: once framing is lost nothing that follows can be trusted.
 */
public final class FrameDecoder extends LengthFieldBasedFrameDecoder {
    private static final ObjectReader HELLO = strictReader(new TypeReference<Frame.Hello>() { });
    private static final ObjectReader WELCOME = strictReader(new TypeReference<Frame.Welcome>() { });
    /** Lenient: a newer collector's reason reads as OTHER, and fields it may add are ignored. */
    private static final ObjectReader REFUSE = strictReader(new TypeReference<Frame.Refuse>() { })
            .with(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_USING_DEFAULT_VALUE)
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final int ACK_PAYLOAD_BYTES = Long.BYTES;

    private final int maxFrameBytes;
    private int limit;
    private long framesDecoded;
    private boolean failed;

    public FrameDecoder() {
        this(WireFormat.DEFAULT_MAX_FRAME_BYTES);
    }

    /** @param maxFrameBytes the largest length field accepted, i.e. version, type and payload together */
    public FrameDecoder(int maxFrameBytes) {
        // The superclass limit counts the length field too; ours is checked first, with a better message.
        super(maxFrameBytes + WireFormat.LENGTH_BYTES, 0, WireFormat.LENGTH_BYTES, 0, WireFormat.LENGTH_BYTES);
        if (maxFrameBytes < WireFormat.HEADER_BYTES) {
            throw new IllegalArgumentException("maxFrameBytes " + maxFrameBytes + " is smaller than a frame header");
        }
        this.maxFrameBytes = maxFrameBytes;
        this.limit = maxFrameBytes;
        // Pieces of a large frame are kept as they came instead of copied into one buffer that doubles as it grows,
        // which would hold up to twice the frame.
        setCumulator(COMPOSITE_CUMULATOR);
    }

    /**
     * Accepts frames up to {@code bytes} (at most the maximum given at construction) from now on: a peer that has
     * not yet said who it is needs no room for a batch.
     */
    public void limit(int bytes) {
        if (bytes < WireFormat.HEADER_BYTES || bytes > maxFrameBytes) {
            throw new IllegalArgumentException("frame limit " + bytes + " outside " + WireFormat.HEADER_BYTES + " to "
                    + maxFrameBytes);
        }
        limit = bytes;
    }

    /** Frames decoded so far: a change tells a watcher that the frame it waited for is complete. */
    public long framesDecoded() {
        return framesDecoded;
    }

    /** Memory held for a frame not yet complete: the bytes received of it and the room of the buffers they are in. */
    public int bufferedBytes() {
        return internalBuffer().capacity();
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return null;
        }
        try {
            return decodeFrame(ctx, in);
        } catch (ProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, out);
        if (in.isReadable()) {
            int received = in.readableBytes();
            in.skipBytes(received);
            throw new ProtocolException(ProtocolException.Reason.TRUNCATED,
                    "connection closed inside a frame, " + received + " bytes of it received");
        }
    }

    private Object decodeFrame(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        // The superclass leaves the reader index on the current frame's length field until the whole frame is in.
        if (in.readableBytes() >= WireFormat.LENGTH_BYTES) {
            checkLength(in.getUnsignedInt(in.readerIndex()));
        }
        ByteBuf frame = (ByteBuf) super.decode(ctx, in);
        if (frame == null) {
            return null;
        }
        try {
            Frame read = read(frame);
            framesDecoded++;
            return read;
        } finally {
            frame.release();
        }
    }

    private void checkLength(long length) {
        if (length > limit) {
            throw new ProtocolException(ProtocolException.Reason.OVERSIZED,
                    "frame of " + length + " bytes exceeds maximum " + limit);
        }
        if (length < WireFormat.HEADER_BYTES) {
            throw new ProtocolException(ProtocolException.Reason.TRUNCATED,
                    "frame of " + length + " bytes is shorter than its version and type");
        }
    }

    private static Frame read(ByteBuf frame) {
        int version = frame.readUnsignedByte();
        if (version != WireFormat.VERSION) {
            throw new ProtocolException(ProtocolException.Reason.UNSUPPORTED_VERSION,
                    "protocol version " + version + " unsupported, expected " + WireFormat.VERSION);
        }
        FrameType type = FrameType.of(frame.readUnsignedByte());
        return switch (type) {
            case HELLO -> json(type, frame, HELLO);
            case WELCOME -> json(type, frame, WELCOME);
            case ALERTS -> new Frame.Alerts(alerts(frame));
            case ACK -> new Frame.Ack(ack(frame));
            case HEARTBEAT -> heartbeat(frame);
            case REFUSE -> json(type, frame, REFUSE);
        };
    }

    private static <T> T json(FrameType type, ByteBuf payload, ObjectReader reader) {
        T value;
        try {
            value = reader.readValue((InputStream) new ByteBufInputStream(payload));
        } catch (JsonProcessingException e) {
            throw malformed(type, e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw malformed(type, e.getMessage(), e);
        }
        if (value == null) {
            throw malformed(type, "null", null);
        }
        return value;
    }

    private static List<EncodedAlert> alerts(ByteBuf payload) {
        byte[] bytes = new byte[payload.readableBytes()];
        payload.readBytes(bytes);
        try {
            return AlertArrayReader.read(bytes);
        } catch (JsonProcessingException e) {
            throw malformed(FrameType.ALERTS, e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw malformed(FrameType.ALERTS, e.getMessage(), e);
        }
    }

    private static ProtocolException malformed(FrameType type, String detail, Throwable cause) {
        return new ProtocolException(ProtocolException.Reason.MALFORMED, type + " payload is not valid: " + detail,
                cause);
    }

    private static long ack(ByteBuf payload) {
        if (payload.readableBytes() != ACK_PAYLOAD_BYTES) {
            throw new ProtocolException(
                    payload.readableBytes() < ACK_PAYLOAD_BYTES
                            ? ProtocolException.Reason.TRUNCATED : ProtocolException.Reason.MALFORMED,
                    "ACK payload of " + payload.readableBytes() + " bytes, expected " + ACK_PAYLOAD_BYTES);
        }
        return payload.readLong();
    }

    private static Frame heartbeat(ByteBuf payload) {
        if (payload.isReadable()) {
            throw new ProtocolException(ProtocolException.Reason.MALFORMED,
                    "HEARTBEAT payload of " + payload.readableBytes() + " bytes, expected none");
        }
        return new Frame.Heartbeat();
    }

    private static ObjectReader strictReader(TypeReference<?> type) {
        return AlertJson.mapper().readerFor(type).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }
}
