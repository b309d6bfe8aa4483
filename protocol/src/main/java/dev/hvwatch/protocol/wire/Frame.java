package dev.hvwatch.protocol.wire;

import dev.hvwatch.protocol.Alert;
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

    /** Agent → collector: a batch of canonical alerts in ascending seq order. */
    record Alerts(List<Alert> alerts) implements Frame {
        public Alerts {
            alerts = List.copyOf(alerts);
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
}
