package dev.hvwatch.bench;

import dev.hvwatch.agent.metrics.AgentMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * One /metrics exposition of {@code series} per-VM series (40 families, labelled by VM and vCPU, as the agent's are),
 * written by the agent ({@link #prepared}) and by the Prometheus registry's own scrape ({@link #library}), with the
 * agent's compiler setting (C1 only, {@code agent/src/main/jvm/jvm.options}). 600 series is about what the agent
 * serves at 3 VMs, 2,000 at 43.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ExpositionBenchmark extends AgentCompilerBenchmark {
    private static final int FAMILIES = 40;

    @Param({"600", "2000"})
    public int series;

    private final AtomicLong figure = new AtomicLong();
    private AgentMetrics metrics;
    private PrometheusMeterRegistry registry;

    @Setup(Level.Trial)
    public void setUp() {
        metrics = new AgentMetrics();
        registry = metrics.registry();
        for (int i = 0; i < series; i++) {
            String family = "hvwatch.vm.series" + i % FAMILIES;
            String vm = "instance-" + i / FAMILIES;
            if (i % 2 == 0) {
                FunctionCounter.builder(family, figure, AtomicLong::get).description("A counter of " + family)
                        .tags("vm", vm, "vcpu", Integer.toString(i % 4)).register(registry);
            } else {
                Gauge.builder(family + ".ratio", figure, AtomicLong::get).description("A gauge of " + family)
                        .tags("vm", vm, "vcpu", Integer.toString(i % 4)).register(registry);
            }
        }
    }

    @Benchmark
    public void prepared() throws IOException {
        figure.incrementAndGet();
        metrics.scrape(OutputStream.nullOutputStream());
    }

    @Benchmark
    public void library() throws IOException {
        figure.incrementAndGet();
        registry.scrape(OutputStream.nullOutputStream());
    }
}
