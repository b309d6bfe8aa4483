package dev.hvwatch.protocol.wire;

import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.EncodedAlert;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/** Writes {@link Frame}s in the layout of {@link WireFormat}. Stateless, so one instance may serve every channel. */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToByteEncoder<Frame> {

    public FrameEncoder() {
        super(Frame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame frame, ByteBuf out) throws IOException {
        int lengthIndex = out.writerIndex();
        out.writeInt(0);
        out.writeByte(WireFormat.VERSION);
        out.writeByte(frame.type().code());
        writePayload(frame, out);
        out.setInt(lengthIndex, out.writerIndex() - lengthIndex - WireFormat.LENGTH_BYTES);
    }

    private static void writePayload(Frame frame, ByteBuf out) throws IOException {
        if (frame instanceof Frame.Ack ack) {
            out.writeLong(ack.seq());
        } else if (frame instanceof Frame.Alerts alerts) {
            writeArray(alerts.encoded(), out);
        } else if (!(frame instanceof Frame.Heartbeat)) {
            // HELLO, WELCOME and REFUSE: the record components are the JSON fields.
            writeJson(frame, out);
        }
    }

    /** The alerts' JSON as it is, in a JSON array. */
    private static void writeArray(List<EncodedAlert> alerts, ByteBuf out) {
        out.writeByte('[');
        for (int i = 0; i < alerts.size(); i++) {
            if (i > 0) {
                out.writeByte(',');
            }
            out.writeBytes(alerts.get(i).json());
        }
        out.writeByte(']');
    }

    private static void writeJson(Object value, ByteBuf out) throws IOException {
        OutputStream stream = new ByteBufOutputStream(out);
        AlertJson.mapper().writeValue(stream, value);
    }
}
