package dev.hvwatch.agent.source;

import dev.hvwatch.agent.ring.EventRing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the sources in order, once per interval, on one thread: discovery first, so that the sources after it see
 * this round's VMs; then it marks the end of the round on the ring (TICK), where the rules evaluate. A failing
 * source is logged when it goes down and when it comes back, not every round.
 */
public final class Sampler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sampler.class);

    private final List<Health> sources = new ArrayList<>();
    private final Duration interval;
    private final EventRing ring;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "hvwatch-sampler");
        t.setDaemon(true);
        return t;
    });

    public Sampler(Duration interval, EventRing ring) {
        this.interval = interval;
        this.ring = ring;
    }

    /** Adds a source to the end of the round; only before {@link #start}. */
    public Sampler add(Source source) {
        sources.add(new Health(source));
        return this;
    }

    /** Schedules the rounds after the first, which {@link #round} runs on the caller's thread. */
    public void start() {
        timer.scheduleAtFixedRate(this::round, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** One round over all sources; public so that tests can drive sampling without a timer. */
    public void round() {
        Instant now = Instant.now();
        long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        for (Health h : sources) {
            long start = System.nanoTime();
            try {
                h.source.sample(nowNanos);
                if (!h.up) {
                    LOG.info("source {} is up", h.source.name());
                }
                h.up = true;
            } catch (Exception e) {
                if (h.up || !h.failureLogged) {
                    LOG.warn("source {} is down: {}", h.source.name(), e.toString());
                    h.failureLogged = true;
                }
                h.up = false;
            } finally {
                h.lastNanos = System.nanoTime() - start;
            }
        }
        ring.publishTick(nowNanos);
    }

    /** Whether the source's last round succeeded (false before its first round); any thread may ask. */
    public boolean isUp(String source) {
        return sources.stream().anyMatch(h -> h.source.name().equals(source) && h.up);
    }

    public List<String> sourceNames() {
        return sources.stream().map(h -> h.source.name()).toList();
    }

    /**
     * How long the source's last round took on the sampling thread, in seconds (0 before its first); any thread may
     * ask. Work a source hands to threads of its own (libvirt's statistics calls) is not in it.
     */
    public double lastDurationSeconds(String source) {
        return sources.stream().filter(h -> h.source.name().equals(source)).mapToLong(h -> h.lastNanos).max()
                .orElse(0) / 1e9;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Health {
        final Source source;
        volatile boolean up;
        volatile long lastNanos;
        boolean failureLogged;

        Health(Source source) {
            this.source = source;
        }
    }
}
