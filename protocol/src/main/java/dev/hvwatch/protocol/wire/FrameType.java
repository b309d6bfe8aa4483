package dev.hvwatch.protocol.wire;

/**
 * The frame types of protocol version 1 and their one-byte codes on the wire. REFUSE came after the others: a peer
 * that predates it takes it for an unknown type and closes the connection, which is what follows a refusal anyway,
 * so the version did not change.
 */
public enum FrameType {
    HELLO(0x01),
    WELCOME(0x02),
    ALERTS(0x03),
    ACK(0x04),
    HEARTBEAT(0x05),
    REFUSE(0x06);

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static FrameType of(int code) {
        for (FrameType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        throw new ProtocolException(ProtocolException.Reason.UNKNOWN_TYPE,
                String.format("frame type 0x%02x unknown", code));
    }
}
