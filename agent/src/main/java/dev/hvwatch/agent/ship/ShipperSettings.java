package dev.hvwatch.agent.ship;

import dev.hvwatch.protocol.config.HostPort;
import dev.hvwatch.protocol.tls.TlsFiles;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the shipper reaches its collectors and paces itself.
 *
 * @param collectors where to send, in order of preference; when one fails the next is tried
 * @param agent the agent's identity, sent in HELLO for the collector's logs; the collector goes by the certificate
 * @param batchSize the most alerts in one ALERTS frame
 * @param heartbeat how long an idle connection waits before sending a heartbeat; a collector silent for three of
 *     these is taken for gone and the connection is made anew
 */
public record ShipperSettings(
        List<HostPort> collectors,
        String agent,
        TlsFiles tls,
        int batchSize,
        Duration heartbeat,
        Duration minBackoff,
        Duration maxBackoff) {

    public static final int DEFAULT_BATCH_SIZE = 500;
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_MIN_BACKOFF = Duration.ofMillis(250);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);

    public ShipperSettings {
        collectors = List.copyOf(collectors);
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(tls, "tls");
        if (collectors.isEmpty()) {
            throw new IllegalArgumentException("at least one collector address is needed");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat must be positive, got " + heartbeat);
        }
    }

    /** The defaults for everything but where to go, who to be and how big a batch is. */
    public static ShipperSettings of(List<HostPort> collectors, String agent, TlsFiles tls, int batchSize) {
        return new ShipperSettings(collectors, agent, tls, batchSize, DEFAULT_HEARTBEAT, DEFAULT_MIN_BACKOFF,
                DEFAULT_MAX_BACKOFF);
    }
}
