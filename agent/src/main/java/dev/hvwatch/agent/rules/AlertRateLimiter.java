package dev.hvwatch.agent.rules;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Limits how many firing alerts each rule raises about each VM (or the host), so that one hostile guest or a
 * process posing as QEMU cannot flood the spool, the collector and the SOC: one token bucket per rule and VM, set
 * by the rule's {@link RateLimit}. What it holds back is counted per rule ({@code hvwatch_alerts_suppressed_total})
 * and reported in the evidence of the next alert of the same rule and VM, as Falco reports its drops.
 *
 * <p>Resolutions take no token: the engine sends the resolution of every firing alert it sent, and holds back
 * (and counts here) only the resolution of a firing alert this limiter held back, so that no alert is left firing
 * at the SOC with no resolution to come, and none resolves that never fired.
 *
 * <p>Called on the rule engine's thread; the suppressed counts are read by the metrics thread.
 */
public final class AlertRateLimiter {
    private final Map<String, Bucket> buckets = new HashMap<>();
    private final Map<String, LongAdder> suppressedByRule = new ConcurrentHashMap<>();

    /**
     * Takes a token for a firing alert of {@code rule} about {@code subjectVm} ({@code ""}: the host).
     *
     * @return how many alerts of this rule and VM were held back since the previous one sent (to report in this
     *         one's evidence), or -1 when this one is held back too
     */
    public long admitFiring(String rule, RateLimit limit, String subjectVm, long nowNanos) {
        Bucket bucket = buckets.computeIfAbsent(rule + "\u0000" + subjectVm, k -> new Bucket(limit, nowNanos));
        if (!bucket.take(limit, nowNanos)) {
            bucket.heldBack++;
            counter(rule).increment();
            return -1;
        }
        return bucket.takeHeldBack();
    }

    /** A resolution that is always sent: it reports, and forgets, what was held back before it. */
    public long admitResolution(String rule, String subjectVm) {
        Bucket bucket = buckets.get(rule + "\u0000" + subjectVm);
        return bucket == null ? 0 : bucket.takeHeldBack();
    }

    /** The resolution of a firing alert that was held back: held back too, and counted. */
    public void holdBackResolution(String rule) {
        counter(rule).increment();
    }

    /** Forgets the buckets of a VM that stopped; what they held back stays counted. */
    public void forget(String subjectVm) {
        buckets.keySet().removeIf(k -> k.endsWith("\u0000" + subjectVm));
    }

    /** Alerts of this rule held back since the agent started. */
    public long suppressed(String rule) {
        LongAdder n = suppressedByRule.get(rule);
        return n == null ? 0 : n.sum();
    }

    private LongAdder counter(String rule) {
        return suppressedByRule.computeIfAbsent(rule, r -> new LongAdder());
    }

    /** Tokens kept as nanoseconds of credit, one token per {@code every}: exact, whatever the event times. */
    private static final class Bucket {
        long credit;
        long refilledAt;
        long heldBack;

        Bucket(RateLimit limit, long now) {
            credit = capacity(limit);
            refilledAt = now;
        }

        boolean take(RateLimit limit, long now) {
            long token = limit.every().toNanos();
            if (now > refilledAt) {
                credit = Math.min(capacity(limit), credit + (now - refilledAt));
                refilledAt = now;
            }
            if (credit < token) {
                return false;
            }
            credit -= token;
            return true;
        }

        long takeHeldBack() {
            long n = heldBack;
            heldBack = 0;
            return n;
        }

        private static long capacity(RateLimit limit) {
            try {
                return Math.multiplyExact(limit.burst(), limit.every().toNanos());
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE; // a limit of centuries: as good as none
            }
        }
    }
}
