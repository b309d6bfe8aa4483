package dev.hvwatch.protocol.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * Feeds the frame decoder arbitrary bytes, whole and split in two. Whatever arrives, the decoder either yields frames
 * that the encoder can write back and that decode to the same frames, or rejects the stream with a
 * {@link ProtocolException}; any other exception, hang or leak is a bug.
 *
 * <p>{@code mvn test} replays the inputs under {@code src/test/resources/.../FrameDecoderFuzzTestInputs}
 * (regression mode). To fuzz, see docs/development.md, "Fuzzing".
 */
class FrameDecoderFuzzTest {
    private static final int MAX_FRAME_BYTES = 64 * 1024;

    @FuzzTest(maxDuration = "5m")
    void decoderYieldsFramesOrRejectsTheStream(byte[] input) {
        decodeAll(input, input.length);
        if (input.length > 1) {
            decodeAll(input, (input[0] & 0xff) % input.length);
        }
    }

    private static void decodeAll(byte[] input, int split) {
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(MAX_FRAME_BYTES));
        try {
            channel.writeInbound(Unpooled.copiedBuffer(input, 0, split));
            channel.writeInbound(Unpooled.copiedBuffer(input, split, input.length - split));
            channel.finish();
        } catch (ProtocolException rejected) {
            assertThat(rejected.reason()).isNotNull();
        }
        for (Object decoded; (decoded = channel.readInbound()) != null; ) {
            assertThat(roundTrip((Frame) decoded)).isEqualTo(decoded);
        }
        channel.finishAndReleaseAll();
    }

    private static Frame roundTrip(Frame frame) {
        EmbeddedChannel encoder = new EmbeddedChannel(new FrameEncoder());
        encoder.writeOutbound(frame);
        ByteBuf bytes = encoder.readOutbound();
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(Integer.MAX_VALUE - 8));
        decoder.writeInbound(bytes);
        return decoder.readInbound();
    }
}
