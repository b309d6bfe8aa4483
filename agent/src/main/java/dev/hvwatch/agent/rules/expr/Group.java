package dev.hvwatch.agent.rules.expr;

import java.util.Arrays;

/**
 * The evaluation state of one subject — a vCPU, a VM, the host, or a group of notices — shared by all rules of its
 * scope: the latest values of the variables they read, the strings that name it, and the state of their window
 * functions. Sized once from the scope's {@link Symbols}, so evaluation allocates nothing.
 */
public class Group {
    final double[] numbers;
    final String[] strings;
    final Window[] windows;
    final double[] baselines;
    /** Each baseline as it was before the latest observation: what "relative to its own past" compares with. */
    final double[] baselinesBefore;
    final long[] baselineTimes;
    long observedAt = Long.MIN_VALUE;

    public Group(Symbols symbols) {
        numbers = new double[symbols.numberCount()];
        Arrays.fill(numbers, Double.NaN);
        strings = new String[symbols.stringCount()];
        windows = new Window[symbols.windowCount()];
        for (int i = 0; i < windows.length; i++) {
            windows[i] = new Window(symbols.windowSpan(i));
        }
        baselines = new double[symbols.baselineCount()];
        Arrays.fill(baselines, Double.NaN);
        baselinesBefore = new double[symbols.baselineCount()];
        Arrays.fill(baselinesBefore, Double.NaN);
        baselineTimes = new long[symbols.baselineCount()];
    }

    /** When the next of its windows' samples expires: until then, without a new observation, its rules read the same. */
    public long nextWindowChange() {
        long next = Long.MAX_VALUE;
        for (Window w : windows) {
            next = Math.min(next, w.nextExpiry());
        }
        return next;
    }

    public void setNumber(int slot, double value) {
        numbers[slot] = value;
    }

    public double number(int slot) {
        return numbers[slot];
    }

    public void setString(int slot, String value) {
        strings[slot] = value;
    }
}
