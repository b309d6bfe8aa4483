package dev.hvwatch.protocol.wire;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.EncodedAlert;
import java.util.List;
import java.util.Objects;

/**
 * One message of the agent–collector protocol. Each frame on the wire is
 * {@code u32 length | u8 version | u8 type | payload}, the length counting everything after itself.
 */
public sealed interface Frame {

    FrameType type();

    /**
     * Agent → collector, the first frame after the TLS handshake. The agent id is informational only: the collector
     * goes by the certificate.
     */
    record Hello(String agent, long resumeAfter) implements Frame {
        public Hello {
            Objects.requireNonNull(agent, "agent");
        }

        @Override
        public FrameType type() {
            return FrameType.HELLO;
        }
    }

    /** Collector → agent, answer to HELLO: the last seq the collector's journal holds for this agent. */
    record Welcome(long lastJournaledSeq) implements Frame {
        @Override
        public FrameType type() {
            return FrameType.WELCOME;
        }
    }

    /**
     * Agent → collector: a batch of canonical alerts in ascending seq order. Each keeps the JSON it was read from or
     * will be written as, which the collector journals as it came.
     */
    record Alerts(List<EncodedAlert> encoded) implements Frame {
        public Alerts {
            encoded = List.copyOf(encoded);
        }

        public static Alerts of(List<Alert> alerts) {
            return new Alerts(alerts.stream().map(EncodedAlert::of).toList());
        }

        public List<Alert> alerts() {
            return encoded.stream().map(EncodedAlert::alert).toList();
        }

        @Override
        public FrameType type() {
            return FrameType.ALERTS;
        }
    }

    /** Collector → agent: every seq up to this one is durably journaled. */
    record Ack(long seq) implements Frame {
        @Override
        public FrameType type() {
            return FrameType.ACK;
        }
    }

    /** Either direction: keeps an otherwise quiet connection from being closed as idle. */
    record Heartbeat() implements Frame {
        @Override
        public FrameType type() {
            return FrameType.HEARTBEAT;
        }
    }

    /**
     * Collector → agent, just before it closes the connection: why it refuses what the agent sent or who it is.
     * Nothing the agent sent and was not acknowledged is kept; the agent logs and counts the reason, backs off and
     * sends again.
     *
     * @param message one sentence for the agent's log, at most {@value #MAX_MESSAGE} characters
     */
    record Refuse(RefusalReason reason, String message) implements Frame {
        public static final int MAX_MESSAGE = 1024;

        public Refuse {
            Objects.requireNonNull(reason, "reason");
            message = message == null ? "" : message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE)
                    : message;
        }

        @Override
        public FrameType type() {
            return FrameType.REFUSE;
        }
    }
}
