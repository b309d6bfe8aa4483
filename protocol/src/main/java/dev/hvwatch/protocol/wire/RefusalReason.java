package dev.hvwatch.protocol.wire;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Why a collector refuses an agent, as a REFUSE frame names it; {@link #label()} is the word on the wire and the
 * value of the agent's {@code hvwatch_ship_refusals_total{reason}} label. New reasons may come with newer
 * collectors: an agent reads a word it does not know as {@link #OTHER}.
 */
public enum RefusalReason {
    /** A frame of a protocol version the collector does not speak. */
    UNSUPPORTED_VERSION,
    /** A frame of a type the collector does not know. */
    UNKNOWN_TYPE,
    /** A frame longer than the collector accepts. */
    OVERSIZED,
    /** A frame cut short, or one whose payload does not parse. */
    MALFORMED,
    /** A frame out of turn, such as ALERTS before HELLO. */
    UNEXPECTED_FRAME,
    /** An alert naming another agent or host than the client certificate. */
    IDENTITY_MISMATCH,
    /** A seq far beyond what the collector holds and the agent declared: taken, it would hide later alerts. */
    SEQ_JUMP,
    /** Another live connection uses the same certificate (two agents sharing one, or a stale connection). */
    DUPLICATE_CONNECTION,
    /** The collector cannot journal now (its disk is full); nothing of the batch was acknowledged. */
    JOURNAL_UNAVAILABLE,
    /** The collector's memory for incoming data is taken: try again later. */
    OVERLOADED,
    /** A frame was not completed within the collector's frame timeout. */
    FRAME_TIMEOUT,
    /** A reason this agent does not know (a newer collector's). */
    @JsonEnumDefaultValue
    OTHER;

    @JsonValue
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The refusal that answers a frame rejected for {@code reason}. */
    public static RefusalReason of(ProtocolException.Reason reason) {
        return switch (reason) {
            case UNSUPPORTED_VERSION -> UNSUPPORTED_VERSION;
            case UNKNOWN_TYPE -> UNKNOWN_TYPE;
            case OVERSIZED -> OVERSIZED;
            case TRUNCATED, MALFORMED -> MALFORMED;
            case UNEXPECTED_FRAME -> UNEXPECTED_FRAME;
            case IDENTITY_MISMATCH -> IDENTITY_MISMATCH;
            case SEQ_JUMP -> SEQ_JUMP;
        };
    }
}
