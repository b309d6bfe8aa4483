package dev.hvwatch.protocol.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.TestAlerts;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FrameCodecTest {

    static List<Frame> frames() {
        return List.of(
                new Frame.Hello("kvm-01", 7),
                new Frame.Welcome(42),
                Frame.Alerts.of(List.of(TestAlerts.alert("kvm-01", 1), TestAlerts.alert("kvm-01", 2))),
                Frame.Alerts.of(List.of()),
                new Frame.Ack(Long.MAX_VALUE),
                new Frame.Heartbeat(),
                new Frame.Refuse(RefusalReason.SEQ_JUMP, "seq 9000000 follows 12"));
    }

    @ParameterizedTest
    @MethodSource("frames")
    void everyFrameTypeSurvivesARoundTrip(Frame frame) {
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());

        decoder.writeInbound(encode(frame));

        assertThat((Frame) decoder.readInbound()).isEqualTo(frame);
        assertThat(decoder.finish()).isFalse();
    }

    @Test
    void framesArrivingOneByteAtATimeAreReassembled() {
        ByteBuf bytes = Unpooled.wrappedBuffer(encode(new Frame.Welcome(3)), encode(new Frame.Ack(9)));
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());

        while (bytes.isReadable()) {
            decoder.writeInbound(bytes.readRetainedSlice(1));
        }
        bytes.release();

        assertThat((Frame) decoder.readInbound()).isEqualTo(new Frame.Welcome(3));
        assertThat((Frame) decoder.readInbound()).isEqualTo(new Frame.Ack(9));
    }

    @Test
    void headerIsLengthVersionTypeAndHelloIsJson() {
        ByteBuf bytes = encode(new Frame.Hello("kvm-01", 7));

        long length = bytes.readUnsignedInt();
        assertThat(length).isEqualTo(bytes.readableBytes());
        assertThat(bytes.readUnsignedByte()).isEqualTo((short) 1);
        assertThat(bytes.readUnsignedByte()).isEqualTo((short) FrameType.HELLO.code());
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("{\"agent\":\"kvm-01\",\"resumeAfter\":7}");
        bytes.release();
    }

    @Test
    void ackPayloadIsAnUnsigned64BitSeq() {
        ByteBuf bytes = encode(new Frame.Ack(0x0102030405060708L));

        assertThat(bytes.readableBytes()).isEqualTo(4 + 2 + 8);
        assertThat(bytes.getLong(6)).isEqualTo(0x0102030405060708L);
        bytes.release();
    }

    @Test
    void refuseIsJsonWithTheReasonAsAWord() {
        ByteBuf bytes = encode(new Frame.Refuse(RefusalReason.DUPLICATE_CONNECTION, "in use"));

        bytes.skipBytes(4);
        assertThat(bytes.readUnsignedByte()).isEqualTo((short) 1);
        assertThat(bytes.readUnsignedByte()).isEqualTo((short) 0x06);
        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .isEqualTo("{\"reason\":\"duplicate_connection\",\"message\":\"in use\"}");
        bytes.release();
    }

    @Test
    void aRefusalOfANewerCollectorReadsAsOther() {
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());

        decoder.writeInbound(raw(1, 0x06, "{\"reason\":\"moon_phase\",\"message\":\"m\",\"retry\":5}"
                .getBytes(StandardCharsets.UTF_8)));

        assertThat((Frame) decoder.readInbound()).isEqualTo(new Frame.Refuse(RefusalReason.OTHER, "m"));
    }

    @Test
    void theLimitCanBeLoweredForAPeerThatHasNotSaidWhoItIs() {
        FrameDecoder limited = new FrameDecoder(4096);
        limited.limit(64);
        EmbeddedChannel decoder = new EmbeddedChannel(limited);

        assertThatThrownBy(() -> decoder.writeInbound(raw(1, FrameType.ALERTS.code(), new byte[100])))
                .isInstanceOf(ProtocolException.class).hasMessage("frame of 102 bytes exceeds maximum 64");
        assertThatThrownBy(() -> limited.limit(4097)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whatIsHeldOfAnIncompleteFrameIsKnown() {
        FrameDecoder frames = new FrameDecoder();
        EmbeddedChannel decoder = new EmbeddedChannel(frames);
        ByteBuf bytes = encode(new Frame.Welcome(3));
        int length = bytes.readableBytes();

        decoder.writeInbound(bytes.readRetainedSlice(5));
        assertThat(frames.bufferedBytes()).isEqualTo(5);
        decoder.writeInbound(bytes.readRetainedSlice(length - 5));
        bytes.release();

        assertThat(frames.bufferedBytes()).isZero();
        assertThat((Frame) decoder.readInbound()).isEqualTo(new Frame.Welcome(3));
    }

    @Test
    void unknownVersionIsRejected() {
        assertRejected(raw(2, FrameType.HEARTBEAT.code(), new byte[0]), ProtocolException.Reason.UNSUPPORTED_VERSION,
                "protocol version 2 unsupported, expected 1");
    }

    @Test
    void unknownTypeIsRejected() {
        assertRejected(raw(1, 0x7f, new byte[0]), ProtocolException.Reason.UNKNOWN_TYPE, "frame type 0x7f unknown");
    }

    @Test
    void oversizedFrameIsRejectedAsSoonAsItsLengthArrives() {
        ByteBuf header = Unpooled.buffer().writeInt(5_000_000).writeByte(1).writeByte(FrameType.ALERTS.code());

        assertRejected(header, ProtocolException.Reason.OVERSIZED, "frame of 5000000 bytes exceeds maximum 1048576");
    }

    @Test
    void maximumFrameSizeIsConfigurable() {
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(64));
        ByteBuf small = encode(new Frame.Ack(1));
        ByteBuf large = encode(Frame.Alerts.of(List.of(TestAlerts.alert("kvm-01", 1))));

        decoder.writeInbound(small);
        assertThat((Frame) decoder.readInbound()).isEqualTo(new Frame.Ack(1));
        assertThatThrownBy(() -> decoder.writeInbound(large))
                .isInstanceOf(ProtocolException.class)
                .hasMessageMatching("frame of \\d+ bytes exceeds maximum 64");
    }

    @Test
    void frameTooShortForItsHeaderIsRejected() {
        assertRejected(Unpooled.buffer().writeInt(1).writeByte(1), ProtocolException.Reason.TRUNCATED,
                "frame of 1 bytes is shorter than its version and type");
    }

    @Test
    void truncatedAckPayloadIsRejected() {
        assertRejected(raw(1, FrameType.ACK.code(), new byte[3]), ProtocolException.Reason.TRUNCATED,
                "ACK payload of 3 bytes, expected 8");
    }

    @Test
    void streamEndingInsideAFrameIsReported() {
        ByteBuf whole = encode(new Frame.Welcome(5));
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());
        decoder.writeInbound(whole.readRetainedSlice(whole.readableBytes() - 1));
        whole.release();

        assertThatThrownBy(decoder::finish)
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.reason()).isEqualTo(ProtocolException.Reason.TRUNCATED))
                .hasMessageMatching("connection closed inside a frame, \\d+ bytes of it received");
    }

    @Test
    void payloadThatIsNotJsonIsRejected() {
        assertRejected(raw(1, FrameType.ALERTS.code(), "[{\"id\":".getBytes(StandardCharsets.UTF_8)),
                ProtocolException.Reason.MALFORMED, "ALERTS payload is not valid: ");
    }

    @Test
    void alertMissingARequiredFieldIsRejected() {
        assertRejected(raw(1, FrameType.ALERTS.code(), "[{\"id\":\"a\"}]".getBytes(StandardCharsets.UTF_8)),
                ProtocolException.Reason.MALFORMED, "ALERTS payload is not valid: ");
    }

    @Test
    void nullAlertIsRejected() {
        assertRejected(raw(1, FrameType.ALERTS.code(), "[null]".getBytes(StandardCharsets.UTF_8)),
                ProtocolException.Reason.MALFORMED,
                "ALERTS payload is not valid: element 0 of the alert array is null, not an alert");
    }

    @Test
    void anAlertSpanningSeveralLinesIsRejected() {
        String json = AlertJson.toLine(TestAlerts.alert("kvm-01", 1)).replace(",\"agent\"", ",\n\"agent\"");
        assertRejected(raw(1, FrameType.ALERTS.code(), ("[" + json + "]").getBytes(StandardCharsets.UTF_8)),
                ProtocolException.Reason.MALFORMED, "ALERTS payload is not valid: element 0 of the alert array spans "
                        + "several lines");
    }

    @Test
    void alertsKeepTheBytesTheyWereSentAs() {
        String json = AlertJson.toLine(TestAlerts.alert("kvm-01", 1)).replace(",\"agent\"", ", \"agent\"");
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());

        decoder.writeInbound(raw(1, FrameType.ALERTS.code(), ("[ " + json + " ]").getBytes(StandardCharsets.UTF_8)));

        Frame.Alerts alerts = decoder.readInbound();
        assertThat(new String(alerts.encoded().get(0).json(), StandardCharsets.UTF_8)).isEqualTo(json);
        assertThat(alerts.alerts()).containsExactly(TestAlerts.alert("kvm-01", 1));
    }

    @Test
    void trailingGarbageAfterJsonIsRejected() {
        assertRejected(raw(1, FrameType.WELCOME.code(), "{\"lastJournaledSeq\":1} x".getBytes(StandardCharsets.UTF_8)),
                ProtocolException.Reason.MALFORMED, "WELCOME payload is not valid: ");
    }

    @Test
    void heartbeatWithPayloadIsRejected() {
        assertRejected(raw(1, FrameType.HEARTBEAT.code(), new byte[1]), ProtocolException.Reason.MALFORMED,
                "HEARTBEAT payload of 1 bytes, expected none");
    }

    @Test
    void nothingAfterABadFrameIsDecoded() {
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());
        ByteBuf badThenGood = Unpooled.wrappedBuffer(raw(1, 0x7f, new byte[0]), encode(new Frame.Ack(1)));

        assertThatThrownBy(() -> decoder.writeInbound(badThenGood)).isInstanceOf(ProtocolException.class);
        assertThat(decoder.<Object>readInbound()).isNull();
        assertThat(decoder.finish()).isFalse();
    }

    private static void assertRejected(ByteBuf bytes, ProtocolException.Reason reason, String messageStart) {
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());

        assertThatThrownBy(() -> decoder.writeInbound(bytes))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageStartingWith(messageStart);
        assertThat(decoder.<Object>readInbound()).isNull();
    }

    private static ByteBuf encode(Frame frame) {
        EmbeddedChannel encoder = new EmbeddedChannel(new FrameEncoder());
        encoder.writeOutbound(frame);
        return encoder.readOutbound();
    }

    private static ByteBuf raw(int version, int type, byte[] payload) {
        return Unpooled.buffer()
                .writeInt(2 + payload.length)
                .writeByte(version)
                .writeByte(type)
                .writeBytes(payload);
    }
}
