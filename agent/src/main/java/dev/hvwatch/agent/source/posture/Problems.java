package dev.hvwatch.agent.source.posture;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inputs the checks could not read, for {@code hvwatch_source_errors_total{source="posture"}}: each input counts once
 * per run however many checks needed it, and is logged the first time only, as the same odd file is read again every
 * run.
 */
public final class Problems {
    private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
    /** Messages name pids, which come and go: forget them all now and then rather than grow without bound. */
    private static final int REMEMBERED = 1000;

    private final LongAdder count = new LongAdder();
    private final Set<String> thisRun = new HashSet<>();
    private final Set<String> logged = new HashSet<>();

    void startRun() {
        thisRun.clear();
    }

    /** @param e names the input and what is wrong with it; any other exception is a bug in the check */
    public void report(String check, Exception e) {
        String what = e instanceof UnreadableInput ? e.getMessage() : e.toString();
        if (thisRun.add(what)) {
            count.increment();
        }
        if (logged.size() >= REMEMBERED) {
            logged.clear();
        }
        if (logged.add(what)) {
            LOG.warn("posture check {}: {} (checks skip it; logged once)", check, what);
        }
    }

    /** Unreadable inputs, once per run each, since the start; any thread may ask. */
    public long count() {
        return count.sum();
    }
}
