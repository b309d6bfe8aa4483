package dev.hvwatch.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import dev.hvwatch.agent.rules.FiringAlert;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.io.OutputStream;
import dev.hvwatch.agent.source.Sampler;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The agent's Prometheus registry and the series that are not per VM. Names are a contract with dashboards and
 * rules (README.md, "Metrics": Prometheus conventions, base units, {@code hvwatch_} prefix); Micrometer adds the unit
 * and {@code _total} suffixes from base units and meter types.
 * Micrometer holds the object behind a function counter only weakly, so each binding takes the long-lived owner
 * of the figure (a source), never a lambda that nothing else references. Drops and source health are host series
 * published by the agent-health source, so that rules read them too.
 */
public final class AgentMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ExpositionWriter exposition = new ExpositionWriter(registry);
    /** hvwatch_alerts_firing's series, each a gauge of the count it holds. */
    private final Map<FiringAlert, FiringCount> alertsFiring = new HashMap<>();
    private JvmGcMetrics gcMetrics;

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** {@code hvwatch_source_errors_total{source}}: inputs a source read but could not parse. */
    public <T> void bindSourceErrors(String source, T owner, ToDoubleFunction<T> errors) {
        FunctionCounter.builder("hvwatch.source.errors", owner, errors)
                .description("Inputs a source read but could not parse")
                .tag("source", source)
                .register(registry);
    }

    /** A counter without labels whose figure its owner keeps, e.g. {@code hvwatch_kmsg_spoofed_records_total}. */
    public <T> void bindCounter(String name, String help, T owner, ToDoubleFunction<T> count, String... tags) {
        FunctionCounter.builder(name, owner, count).description(help).tags(tags).register(registry);
    }

    /** A gauge without labels whose figure its owner keeps, e.g. {@code hvwatch_spool_pending_alerts}. */
    public <T> void bindGauge(String name, String help, T owner, ToDoubleFunction<T> value) {
        Gauge.builder(name, owner, value).description(help).register(registry);
    }

    /** {@code hvwatch_alerts_total{rule,severity}}. */
    public Counter alerts(String rule, String severity) {
        return Counter.builder("hvwatch.alerts")
                .description("Alerts raised (firing and resolved), by rule and severity")
                .tag("rule", rule)
                .tag("severity", severity)
                .register(registry);
    }

    /**
     * {@code hvwatch_alerts_firing{rule,severity,vm}}: replaces the series with the rule engine's latest count; a
     * kind of alert that stopped firing leaves /metrics.
     */
    public synchronized void alertsFiring(Map<FiringAlert, Integer> firing) {
        // Only the series that appear or go are registered or removed (Micrometer's MultiGauge re-registered every
        // row on every change: a quarter of the rule engine's time at 43 VMs with 300 alerts firing).
        for (Iterator<Map.Entry<FiringAlert, FiringCount>> it = alertsFiring.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<FiringAlert, FiringCount> shown = it.next();
            if (!firing.containsKey(shown.getKey())) {
                registry.remove(shown.getValue().gauge);
                it.remove();
            }
        }
        firing.forEach((alert, count) -> alertsFiring.computeIfAbsent(alert, this::firingGauge).count = count);
    }

    private FiringCount firingGauge(FiringAlert alert) {
        FiringCount count = new FiringCount();
        count.gauge = Gauge.builder("hvwatch.alerts.firing", count, c -> c.count)
                .description("Alerts firing now, by rule, severity and VM (vm=\"\" for the host or a device)")
                .tags("rule", alert.rule(), "severity", alert.severity(), "vm", alert.vm())
                .strongReference(true)
                .register(registry);
        return count;
    }

    /** One series of hvwatch_alerts_firing: written by the rule engine's thread, read by scrapes. */
    private static final class FiringCount {
        volatile int count;
        Gauge gauge;
    }

    /**
     * The agent's own cost, under the names operators know from other exporters: {@code process_cpu_seconds_total},
     * {@code process_resident_memory_bytes}, {@code process_open_fds} and the rest of the process collectors' series
     * ({@link ProcessSeries}); JVM memory pools and GC (Micrometer's binders); and, per source, how long its last
     * sampling round took, {@code hvwatch_source_duration_seconds{source}} (node_exporter's
     * {@code node_scrape_collector_duration_seconds}). Not in the constructor: its figures change with every scrape,
     * which a golden /metrics cannot hold.
     */
    public void bindSelfMonitoring(Sampler sampler) {
        ProcessSeries.bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        for (String source : sampler.sourceNames()) {
            Gauge.builder("hvwatch.source.duration", sampler, s -> s.lastDurationSeconds(source))
                    .description("How long the source's last sampling round took on the sampling thread")
                    .baseUnit("seconds")
                    .tag("source", source)
                    .register(registry);
        }
    }

    /** Stops what {@link #bindSelfMonitoring} listens to (GC notifications). */
    @Override
    public void close() {
        if (gcMetrics != null) {
            gcMetrics.close();
        }
    }

    /** The text exposition Prometheus scrapes, written straight to {@code out} (as UTF-8). */
    public void scrape(OutputStream out) throws IOException {
        exposition.write(out);
    }

    /** The text exposition as a string, for whoever reads it rather than passes it on. */
    public String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            scrape(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot happen: writing to memory", e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Whether scrapes take the prepared path (no meter of a kind only the library renders). */
    public boolean scrapesArePrepared() {
        return exposition.rendersEverything();
    }
}
