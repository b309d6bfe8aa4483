package dev.hvwatch.agent.metrics;

import dev.hvwatch.bench.AgentCompilerBenchmark;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;

/**
 * The process series ({@code process_cpu_seconds_total}, {@code process_open_fds}, …) scraped as the agent serves
 * them ({@link #agent}: {@link ProcessSeries} in the agent's registry) and as the Prometheus client's process collector
 * did before it ({@link #client}), with the agent's compiler setting (C1 only). In the agent's package, for
 * {@link ProcessSeries}, which is not public.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ProcessSeriesBenchmark extends AgentCompilerBenchmark {
    private final PrometheusTextFormatWriter text = PrometheusTextFormatWriter.create();
    private AgentMetrics metrics;
    private PrometheusRegistry clientCollectors;

    @Setup
    public void setUp() {
        metrics = new AgentMetrics();
        ProcessSeries.bindTo(metrics.registry());
        clientCollectors = new PrometheusRegistry();
        ProcessMetrics.builder().register(clientCollectors);
    }

    @Benchmark
    public void agent() throws IOException {
        metrics.scrape(OutputStream.nullOutputStream());
    }

    @Benchmark
    public void client() throws IOException {
        text.write(OutputStream.nullOutputStream(), clientCollectors.scrape());
    }
}
