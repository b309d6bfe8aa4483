package dev.hvwatch.agent.rules;

import dev.hvwatch.agent.vm.Steal;

/**
 * Turns a vCPU thread's cumulative scheduler times into its wait share per interval: its {@link Steal#ratio}, the
 * part of its runnable time it spent waiting for a host CPU.
 *
 * <p>The kernel credits wait time when the thread is switched in, not while it waits: a thread that is runnable
 * but got no CPU at all during an interval shows no change. So when run + wait grew by less than
 * {@link #MIN_ACTIVITY} of the interval, the thread's state decides: still runnable means "no news yet" — the
 * interval is merged into the next one, whose reading will carry the wait; sleeping (a halted, idle guest) means
 * it has nothing to be starved of, and counts as share 0.
 */
final class WaitShare {
    /** Below this fraction of the interval, run + wait is too little to say anything. */
    static final double MIN_ACTIVITY = 0.05;

    private boolean hasBaseline;
    private long timeNanos;
    private long runNanos;
    private long waitNanos;
    private double share = Double.NaN;
    private double intervalSeconds = Double.NaN;

    /** Feeds one reading; returns true when it completed an interval (and {@link #share} changed). */
    boolean update(long time, long run, long wait, boolean runnable) {
        if (!hasBaseline || run < runNanos || wait < waitNanos || time <= timeNanos) {
            rebase(time, run, wait); // first reading, or a new thread behind the same vCPU index
            return false;
        }
        long dt = time - timeNanos;
        long accounted = (run - runNanos) + (wait - waitNanos);
        boolean active = accounted >= MIN_ACTIVITY * dt;
        if (!active && runnable) {
            return false;
        }
        share = active ? Steal.ratio(run - runNanos, wait - waitNanos) : 0.0;
        intervalSeconds = dt / 1e9;
        rebase(time, run, wait);
        return true;
    }

    private void rebase(long time, long run, long wait) {
        hasBaseline = true;
        timeNanos = time;
        runNanos = run;
        waitNanos = wait;
    }

    double share() {
        return share;
    }

    double intervalSeconds() {
        return intervalSeconds;
    }
}
