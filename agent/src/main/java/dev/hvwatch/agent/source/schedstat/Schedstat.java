package dev.hvwatch.agent.source.schedstat;

import java.nio.charset.StandardCharsets;

/**
 * One reading of {@code /proc/PID/task/TID/schedstat}: three decimal numbers, "run_ns wait_ns timeslices"
 * (Documentation/scheduler/sched-stats.rst): time on the CPU, time runnable but waiting for a CPU (the guest's
 * steal), and the number of timeslices run. Mutable and reused, so a sampling round parses without allocating.
 * Fields a future kernel may append after the third are ignored.
 */
public final class Schedstat {
    private long runNanos;
    private long waitNanos;
    private long timeslices;
    private int cursor;

    public long runNanos() {
        return runNanos;
    }

    public long waitNanos() {
        return waitNanos;
    }

    public long timeslices() {
        return timeslices;
    }

    /**
     * Parses the first {@code length} bytes of {@code text} into this reading; on error the previous reading stays.
     *
     * @param origin names the file in the error message
     */
    public void parse(byte[] text, int length, String origin) throws SchedstatFormatException {
        cursor = 0;
        long run = nextNumber(text, length, origin);
        long wait = nextNumber(text, length, origin);
        long slices = nextNumber(text, length, origin);
        runNanos = run;
        waitNanos = wait;
        timeslices = slices;
    }

    private long nextNumber(byte[] text, int length, String origin) throws SchedstatFormatException {
        while (cursor < length && text[cursor] == ' ') {
            cursor++;
        }
        int start = cursor;
        long value = 0;
        while (cursor < length && text[cursor] >= '0' && text[cursor] <= '9') {
            if (value > (Long.MAX_VALUE - 9) / 10) {
                throw new SchedstatFormatException(origin + ": number too large in '" + show(text, length) + "'");
            }
            value = value * 10 + (text[cursor] - '0');
            cursor++;
        }
        boolean separated = cursor == length || text[cursor] == ' ' || text[cursor] == '\n';
        if (cursor == start || !separated) {
            throw new SchedstatFormatException(origin + ": expected 3 numbers 'run_ns wait_ns timeslices', got '"
                    + show(text, length) + "'");
        }
        return value;
    }

    private static String show(byte[] text, int length) {
        return new String(text, 0, Math.min(length, 80), StandardCharsets.US_ASCII).strip();
    }
}
