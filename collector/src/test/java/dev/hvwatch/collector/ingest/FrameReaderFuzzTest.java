package dev.hvwatch.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.hvwatch.protocol.wire.Frame;
import dev.hvwatch.protocol.wire.FrameDecoder;
import dev.hvwatch.protocol.wire.ProtocolException;
import dev.hvwatch.protocol.wire.RefusalReason;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The collector's frame reader ({@link FrameGuard} before the {@link FrameDecoder}) fed arbitrary bytes in arbitrary
 * pieces, with time passing between them: the frames it yields are those of the same bytes in one piece; what it
 * holds of a partial frame is charged to the budget and never more than the limit allows; when the budget runs out
 * it refuses (overloaded), when a frame takes too long it refuses (frame_timeout), when the bytes break the protocol
 * it rejects them; nothing else escapes; and once the connection is gone nothing stays charged.
 *
 * <p>{@code mvn test} replays the inputs under {@code src/test/resources/.../FrameReaderFuzzTestInputs}; to fuzz,
 * {@code JAZZER_FUZZ=1 mvn -pl collector test -Dtest=FrameReaderFuzzTest} (see README.md, "Fuzzing").
 */
class FrameReaderFuzzTest {
    private static final int MAX_FRAME_BYTES = 16 * 1024;
    private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(30);

    @FuzzTest(maxDuration = "5m")
    void partialInputYieldsTheSameFramesOrARefusal(FuzzedDataProvider data) {
        long limit = data.consumeLong(MAX_FRAME_BYTES / 2, 4L * MAX_FRAME_BYTES);
        int pieces = data.consumeInt(1, 64);
        List<int[]> cuts = new ArrayList<>();
        for (int i = 0; i < pieces; i++) {
            cuts.add(new int[] {data.consumeInt(0, 4096), data.consumeInt(0, 40)});
        }
        byte[] stream = data.consumeRemainingAsBytes();

        List<Frame> whole = new ArrayList<>();
        Throwable wholeFailure = read(stream, List.of(new int[] {stream.length, 0}), Long.MAX_VALUE, whole);
        List<Frame> inPieces = new ArrayList<>();
        Throwable failure = read(stream, cuts, limit, inPieces);

        if (failure == null && wholeFailure == null) {
            assertThat(inPieces).isEqualTo(whole);
        } else {
            assertThat(whole.subList(0, Math.min(whole.size(), inPieces.size()))).isEqualTo(inPieces);
        }
    }

    /** Feeds {@code stream} in the given pieces (length, seconds passing after it); returns what stopped it. */
    private static Throwable read(byte[] stream, List<int[]> cuts, long limit, List<Frame> frames) {
        BufferBudget budget = new BufferBudget(limit);
        FrameDecoder decoder = new FrameDecoder(MAX_FRAME_BYTES);
        EmbeddedChannel channel = new EmbeddedChannel(new FrameGuard(decoder, budget, FRAME_TIMEOUT), decoder);
        Throwable failure = null;
        int at = 0;
        try {
            for (int i = 0; at < stream.length; i++) {
                int[] cut = cuts.get(i % cuts.size());
                int length = Math.min(Math.max(1, cut[0]), stream.length - at);
                channel.writeInbound(Unpooled.copiedBuffer(stream, at, length));
                at += length;
                assertThat(budget.used()).isBetween(0L, limit).isEqualTo(decoder.bufferedBytes());
                channel.advanceTimeBy(cut[1], TimeUnit.SECONDS);
                channel.runScheduledPendingTasks();
                channel.checkException();
                drain(channel, frames);
            }
            channel.finish();
        } catch (ProtocolException rejected) {
            failure = rejected;
        } catch (Refusal refused) {
            assertThat(refused.reason()).isIn(RefusalReason.OVERLOADED, RefusalReason.FRAME_TIMEOUT);
            failure = refused;
        }
        drain(channel, frames);
        try {
            channel.finishAndReleaseAll();
        } catch (ProtocolException cut) {
            // Closing after a refusal leaves a frame cut short; the handler ignores what follows its refusal.
            assertThat(failure).isInstanceOf(Refusal.class);
            assertThat(cut.reason()).isEqualTo(ProtocolException.Reason.TRUNCATED);
        }
        assertThat(budget.used()).as("charged after the connection is gone").isZero();
        return failure;
    }

    private static void drain(EmbeddedChannel channel, List<Frame> frames) {
        for (Object frame; (frame = channel.readInbound()) != null; ) {
            frames.add((Frame) frame);
        }
    }
}
