package dev.hvwatch.agent.spool;

import java.time.Duration;

/**
 * How much the spool holds for a collector that is away: at most {@code maxAlerts} unsent alerts, none older than
 * {@code maxAge}. Beyond either, the oldest are discarded first: the newest alerts describe the host as it is now.
 */
public record SpoolLimits(long maxAlerts, Duration maxAge) {
    public SpoolLimits {
        if (maxAlerts < 1) {
            throw new IllegalArgumentException("spool.maxAlerts must be at least 1, got " + maxAlerts);
        }
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("spool.maxAge must be positive, got " + maxAge);
        }
    }
}
