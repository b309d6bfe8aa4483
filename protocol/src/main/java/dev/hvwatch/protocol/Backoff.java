package dev.hvwatch.protocol;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Retry delays, for an agent reconnecting and for a collector output retrying its destination: doubling from
 * {@code min} up to {@code max}, each drawn at random from the upper half of its range, so that peers cut off
 * together do not all come back in the same instant.
 */
public final class Backoff {
    private final long minNanos;
    private final long maxNanos;
    private int failures;

    public Backoff(Duration min, Duration max) {
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < min <= max, got " + min + " and " + max);
        }
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
    }

    /** The delay before the next attempt; each call without a {@link #reset()} in between doubles the range. */
    public Duration next() {
        long ceiling = minNanos;
        for (int i = 0; i < failures && ceiling < maxNanos; i++) {
            ceiling *= 2;
        }
        ceiling = Math.min(ceiling, maxNanos);
        failures++;
        return Duration.ofNanos(ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1));
    }

    public void reset() {
        failures = 0;
    }
}
