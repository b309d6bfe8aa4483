package dev.hvwatch.protocol.wire;

import io.netty.handler.codec.DecoderException;
import java.util.Locale;

/**
 * A peer broke the protocol; the connection cannot continue. Extends {@link DecoderException} so that Netty's decoders
 * pass it up the pipeline unwrapped.
 */
public class ProtocolException extends DecoderException {

    /** Why a frame was rejected; {@link #label()} is the value of the {@code reason} metric label. */
    public enum Reason {
        UNSUPPORTED_VERSION,
        UNKNOWN_TYPE,
        OVERSIZED,
        TRUNCATED,
        MALFORMED,
        UNEXPECTED_FRAME,
        IDENTITY_MISMATCH,
        /** A seq far beyond the last one journaled and the one the agent said it resumes after. */
        SEQ_JUMP;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;

    public ProtocolException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ProtocolException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
