package dev.hvwatch.collector.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The API's series, {@code hvwatch_collector_api_*}: requests by route and status, page reads, and live streams —
 * how many are open, what they were sent and why each ended, so that a client cut off for reading too slowly is
 * counted, never silent.
 */
final class ApiMetrics {

    /** Why a stream ended; {@link #label()} is the value of the {@code reason} label. */
    enum StreamEnd {
        /** The client stopped reading while events waited, for longer than {@code api.stream.stallTimeout}. */
        SLOW,
        /** The client, or the network, closed the connection. */
        CLOSED,
        /** A reloaded revocation list names the client's certificate. */
        REVOKED,
        /** The collector is stopping. */
        SHUTDOWN;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final MeterRegistry registry;
    private final AtomicInteger streamClients = new AtomicInteger();
    private final AtomicLong streamEvents = new AtomicLong();
    private final Timer pageReads;

    ApiMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("hvwatch.collector.api.stream.clients", streamClients, AtomicInteger::get)
                .description("Live streams (/api/v1/stream) open now").register(registry);
        FunctionCounter.builder("hvwatch.collector.api.stream.events", streamEvents, AtomicLong::get)
                .description("Alerts sent to live streams").register(registry);
        for (StreamEnd end : StreamEnd.values()) {
            streamEnds(end);
        }
        pageReads = Timer.builder("hvwatch.collector.api.page.read")
                .description("Time to read one page of /api/v1/alerts from the journal")
                .register(registry);
    }

    /** Counts an answer; {@code route} is one of the API's paths or "other", so the label set stays bounded. */
    void answered(String route, int status) {
        Counter.builder("hvwatch.collector.api.requests")
                .description("HTTP requests answered, by route and status")
                .tag("route", route)
                .tag("status", Integer.toString(status))
                .register(registry)
                .increment();
    }

    Timer pageReads() {
        return pageReads;
    }

    void streamOpened() {
        streamClients.incrementAndGet();
    }

    void streamEnded(StreamEnd end) {
        streamClients.decrementAndGet();
        streamEnds(end).increment();
    }

    void streamed(int events) {
        streamEvents.addAndGet(events);
    }

    private Counter streamEnds(StreamEnd end) {
        return Counter.builder("hvwatch.collector.api.stream.disconnects")
                .description("Live streams ended, by reason; a stream cut off as slow resumes without loss from "
                        + "its Last-Event-ID")
                .tag("reason", end.label())
                .register(registry);
    }
}
