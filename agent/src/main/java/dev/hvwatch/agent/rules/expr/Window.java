package dev.hvwatch.agent.rules.expr;

import java.util.Arrays;

/**
 * Timestamped values of one expression within a trailing time window, for one group. A circular buffer that
 * grows (doubling) until it holds a whole window, then is reused: steady state allocates nothing.
 */
public final class Window {
    private final long spanNanos;
    private long[] times = new long[8];
    private double[] values = new double[8];
    private int head; // index of the oldest sample
    private int size;

    public Window(long spanNanos) {
        this.spanNanos = spanNanos;
    }

    public void add(long now, double value) {
        expire(now);
        if (Double.isNaN(value)) {
            return;
        }
        if (size == times.length) {
            grow();
        }
        int at = (head + size) % times.length;
        times[at] = now;
        values[at] = value;
        size++;
    }

    /** Drops samples older than the window; a window is {@code (now - span, now]}. */
    public void expire(long now) {
        while (size > 0 && times[head] <= now - spanNanos) {
            head = (head + 1) % times.length;
            size--;
        }
    }

    /** When its oldest sample leaves the window, changing what it holds; {@link Long#MAX_VALUE} when empty. */
    public long nextExpiry() {
        return size == 0 ? Long.MAX_VALUE : times[head] + spanNanos;
    }

    public int size() {
        return size;
    }

    public long time(int i) {
        return times[(head + i) % times.length];
    }

    public double value(int i) {
        return values[(head + i) % values.length];
    }

    private void grow() {
        long[] t = new long[times.length * 2];
        double[] v = new double[values.length * 2];
        for (int i = 0; i < size; i++) {
            t[i] = time(i);
            v[i] = value(i);
        }
        times = t;
        values = v;
        head = 0;
    }

    @Override
    public String toString() {
        return "Window" + Arrays.toString(Arrays.copyOf(values, size));
    }
}
