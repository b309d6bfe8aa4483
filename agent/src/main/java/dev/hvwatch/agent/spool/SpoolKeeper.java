package dev.hvwatch.agent.spool;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies the spool's limits once a second and raises the overflow alarm, on a thread of its own. */
public final class SpoolKeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SpoolKeeper.class);
    private static final long PERIOD_MILLIS = 1000;

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "spool-keeper");
        t.setDaemon(true);
        return t;
    });

    private SpoolKeeper() {
    }

    public static SpoolKeeper start(Spool spool, SpoolOverflowAlarm alarm) {
        SpoolKeeper keeper = new SpoolKeeper();
        keeper.thread.scheduleWithFixedDelay(() -> {
            try {
                spool.enforceLimits();
                alarm.raiseIfDue(System.nanoTime());
            } catch (RuntimeException e) {
                log.error("spool limits not applied this round", e);
            }
        }, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        return keeper;
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
