package dev.hvwatch.agent.rules;

import java.time.Duration;

/**
 * A rule's {@code rate_limit}: how many alerts it may raise about one VM (or the host) at once, {@code burst}, and
 * how often it may raise one more after that, {@code every}. A token bucket: it starts full, holds at most
 * {@code burst} tokens and gains one every {@code every}; each firing alert takes one.
 */
public record RateLimit(Integer burst, Duration every) {
    /** Ten alerts at once, then one every six seconds: a real change log never needs more per rule and VM. */
    public static final RateLimit DEFAULT = new RateLimit(10, Duration.ofSeconds(6));

    public RateLimit {
        burst = burst != null ? burst : DEFAULT.burst();
        every = every != null ? every : DEFAULT.every();
    }
}
