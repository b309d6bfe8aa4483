package dev.hvwatch.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.NotBlank;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The prepared exposition against the library's own, byte for byte. */
class ExpositionWriterTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ExpositionWriter writer = new ExpositionWriter(registry);

    @Test
    void everyKindOfMeterItRendersComesOutAsTheLibraryWritesIt() throws IOException {
        AtomicLong figure = new AtomicLong(7);
        Counter.builder("hvwatch.alerts").description("Alerts raised").tags("rule", "b", "severity", "high")
                .register(registry).increment(3);
        Counter.builder("hvwatch.alerts").description("Alerts raised").tags("rule", "a", "severity", "low")
                .register(registry);
        FunctionCounter.builder("hvwatch.vcpu.run", figure, AtomicLong::get).baseUnit("seconds")
                .description("Run time").tags("vm", "web", "vcpu", "10").register(registry);
        FunctionCounter.builder("hvwatch.vcpu.run", figure, f -> 1e21).baseUnit("seconds")
                .description("Run time").tags("vm", "web", "vcpu", "9").register(registry);
        Gauge.builder("hvwatch.alerts.firing", () -> 2).description("Firing").register(registry);
        Gauge.builder("hvwatch.host.cpus", () -> Double.NaN).register(registry);
        Gauge.builder("hvwatch.limit", () -> Double.POSITIVE_INFINITY).tag("vm", "a").register(registry);
        Gauge.builder("hvwatch.limit", () -> Double.NEGATIVE_INFINITY).tag("vm", "b").register(registry);
        Gauge.builder("hvwatch.limit", () -> -0.0).tag("vm", "c").register(registry);
        Gauge.builder("hvwatch.limit", () -> 1e-7).tag("vm", "d").register(registry);
        Gauge.builder("hvwatch.escapes", () -> 1).description("back\\slash and\nnewline \"quoted\"")
                .tags("vm", "q\"uote\\back\nline", "name", "ünïcødé ✓").register(registry);
        Gauge.builder("hvwatch.vm.info", () -> 1).description("A VM").tags("vm", "web", "uuid", "u-1")
                .register(registry);
        TimeGauge.builder("hvwatch.uptime", () -> 1500, TimeUnit.MILLISECONDS).register(registry);
        MultiGauge.builder("hvwatch.rows").register(registry)
                .register(List.of(MultiGauge.Row.of(Tags.of("vm", "x"), 1), MultiGauge.Row.of(Tags.of("vm", "y"), 2)));
        Timer pause = Timer.builder("jvm.gc.pause").description("GC pause").tags("gc", "copy").register(registry);
        pause.record(Duration.ofMillis(12));
        pause.record(Duration.ofMillis(3));
        Timer.builder("jvm.gc.pause").description("GC pause").tags("gc", "old").register(registry);

        assertThat(prepared()).isEqualTo(registry.scrape());
        assertThat(writer.rendersEverything()).isTrue();

        figure.set(9);
        pause.record(Duration.ofMillis(1));
        assertThat(prepared()).as("values read afresh").isEqualTo(registry.scrape()).contains("vcpu=\"10\",vm=\"web\"} 9.0");
    }

    @Test
    void metersAddedAndRemovedAreFollowed() throws IOException {
        Counter first = Counter.builder("hvwatch.alerts").tag("rule", "a").register(registry);
        assertThat(prepared()).isEqualTo(registry.scrape());

        Counter.builder("hvwatch.alerts").tag("rule", "b").register(registry);
        Gauge.builder("hvwatch.host.cpus", () -> 8).register(registry);
        assertThat(prepared()).isEqualTo(registry.scrape()).contains("rule=\"b\"", "hvwatch_host_cpus 8.0");

        registry.remove(first);
        assertThat(prepared()).isEqualTo(registry.scrape()).doesNotContain("rule=\"a\"");
    }

    @Test
    void aKindOfMeterItDoesNotRenderSendsTheScrapeToTheLibraryWithNothingLeftOut() throws IOException {
        Counter.builder("hvwatch.alerts").register(registry).increment();
        DistributionSummary.builder("hvwatch.batch.size").register(registry).record(4);
        Timer.builder("hvwatch.latency").publishPercentiles(0.5).register(registry).record(Duration.ofMillis(2));

        assertThat(writer.rendersEverything()).isFalse();
        assertThat(prepared()).isEqualTo(registry.scrape())
                .contains("hvwatch_alerts_total 1.0", "hvwatch_batch_size_count 1", "quantile=\"0.5\"");
    }

    @Test
    void twoKindsOfMeterUnderOneNameAreLeftToTheLibrary() throws IOException {
        Gauge.builder("hvwatch.queue", () -> 1).register(registry);
        Gauge.builder("hvwatch.queue.bucket", () -> 2).register(registry);

        assertThat(writer.rendersEverything()).isFalse();
        assertThat(prepared()).isEqualTo(registry.scrape());
    }

    @Property(tries = 200)
    void anyTagValueAndDescriptionAreEscapedAsTheLibraryEscapesThem(@ForAll String value,
                                                                     @ForAll String description,
                                                                     @ForAll @NotBlank @Size(max = 20) String other)
            throws IOException {
        PrometheusMeterRegistry fresh = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Counter.builder("hvwatch.alerts").description(description).tags("vm", value, "rule", other)
                .register(fresh).increment();
        Gauge.builder("hvwatch.vm.vcpus", () -> 2).description(description).tags("vm", value).register(fresh);
        Gauge.builder("hvwatch.vm.vcpus", () -> 3).description(description).tags("vm", other).register(fresh);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ExpositionWriter(fresh).write(out);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(fresh.scrape());
    }

    private String prepared() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
