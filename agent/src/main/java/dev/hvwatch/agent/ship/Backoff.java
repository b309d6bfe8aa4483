package dev.hvwatch.agent.ship;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reconnect delays: doubling from {@code min} up to {@code max}, each drawn at random from the upper half of its
 * range, so that agents cut off together do not all come back in the same instant.
 */
final class Backoff {
    private final long minNanos;
    private final long maxNanos;
    private int failures;

    Backoff(Duration min, Duration max) {
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < min <= max, got " + min + " and " + max);
        }
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
    }

    /** The delay before the next attempt; each call without a {@link #reset()} in between doubles the range. */
    Duration next() {
        long ceiling = minNanos;
        for (int i = 0; i < failures && ceiling < maxNanos; i++) {
            ceiling *= 2;
        }
        ceiling = Math.min(ceiling, maxNanos);
        failures++;
        return Duration.ofNanos(ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1));
    }

    void reset() {
        failures = 0;
    }
}
