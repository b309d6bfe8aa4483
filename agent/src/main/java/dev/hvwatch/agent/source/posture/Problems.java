package dev.hvwatch.agent.source.posture;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inputs the checks could not read, counted for {@code hvwatch_source_errors_total{source="posture"}} and logged the
 * first time each one happens: the same odd file is read again every run, and once in the log is enough.
 */
public final class Problems {
    private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
    /** Messages name pids, which come and go: forget them all now and then rather than grow without bound. */
    private static final int REMEMBERED = 1000;

    private final LongAdder count = new LongAdder();
    private final Set<String> logged = new HashSet<>();

    public void report(String check, Exception e) {
        count.increment();
        String message = "posture check " + check + ": " + e.getMessage();
        if (logged.size() >= REMEMBERED) {
            logged.clear();
        }
        if (logged.add(message)) {
            LOG.warn("{} (the check skips it; logged once)", message);
        }
    }

    /** Inputs that could not be read or parsed, since the start; any thread may ask. */
    public long count() {
        return count.sum();
    }
}
