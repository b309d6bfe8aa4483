package dev.hvwatch.agent.ship;

import dev.hvwatch.protocol.tls.TlsFiles;
import java.time.Duration;
import java.util.Objects;

/**
 * How the shipper reaches its collector and paces itself.
 *
 * @param agent the agent's identity, sent in HELLO for the collector's logs; the collector goes by the certificate
 * @param batchSize the most alerts in one ALERTS frame; one batch is in flight at a time
 * @param heartbeat how long an idle connection waits before sending a heartbeat; a collector silent for three of
 *     these is taken for gone and the connection is made anew
 */
public record ShipperSettings(
        String host,
        int port,
        String agent,
        TlsFiles tls,
        int outboxCapacity,
        int batchSize,
        Duration heartbeat,
        Duration minBackoff,
        Duration maxBackoff) {

    public static final int DEFAULT_BATCH_SIZE = 100;
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_MIN_BACKOFF = Duration.ofMillis(250);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);

    public ShipperSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(tls, "tls");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat must be positive, got " + heartbeat);
        }
    }

    /** The defaults for everything but where to go, who to be and how much to hold. */
    public static ShipperSettings of(String host, int port, String agent, TlsFiles tls, int outboxCapacity) {
        return new ShipperSettings(host, port, agent, tls, outboxCapacity, DEFAULT_BATCH_SIZE, DEFAULT_HEARTBEAT,
                DEFAULT_MIN_BACKOFF, DEFAULT_MAX_BACKOFF);
    }
}
