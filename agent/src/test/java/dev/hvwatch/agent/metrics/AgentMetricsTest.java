package dev.hvwatch.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.rules.FiringAlert;
import dev.hvwatch.agent.source.Sampler;
import dev.hvwatch.agent.source.Source;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class AgentMetricsTest {
    @Test
    void firingAlertsAreServedByRuleSeverityAndVmAndLeaveWhenResolved() {
        AgentMetrics metrics = new AgentMetrics();
        metrics.alertsFiring(Map.of(new FiringAlert("vcpu-starvation", "high", "web"), 2,
                new FiringAlert("kvm-error", "high", ""), 1));
        assertThat(metrics.scrape())
                .contains("hvwatch_alerts_firing{rule=\"vcpu-starvation\",severity=\"high\",vm=\"web\"} 2")
                .contains("hvwatch_alerts_firing{rule=\"kvm-error\",severity=\"high\",vm=\"\"} 1");

        metrics.alertsFiring(Map.of(new FiringAlert("kvm-error", "high", ""), 1));
        assertThat(metrics.scrape()).doesNotContain("vcpu-starvation")
                .contains("hvwatch_alerts_firing{rule=\"kvm-error\",severity=\"high\",vm=\"\"} 1");

        metrics.alertsFiring(Map.of(new FiringAlert("kvm-error", "high", ""), 3,
                new FiringAlert("vcpu-starvation", "high", "web"), 1));
        assertThat(metrics.scrape()).as("a count that changed, a series that came back")
                .contains("hvwatch_alerts_firing{rule=\"kvm-error\",severity=\"high\",vm=\"\"} 3")
                .contains("hvwatch_alerts_firing{rule=\"vcpu-starvation\",severity=\"high\",vm=\"web\"} 1");

        metrics.alertsFiring(Map.of());
        assertThat(metrics.scrape()).doesNotContain("hvwatch_alerts_firing{");
    }

    @Test
    void theAgentsOwnCostIsServedUnderTheNamesOperatorsKnow() throws Exception {
        try (AgentMetrics metrics = new AgentMetrics(); EventRing ring = new EventRing(64);
             Sampler sampler = new Sampler(Duration.ofSeconds(1), ring)) {
            sampler.add(new Source() {
                @Override
                public String name() {
                    return "slow";
                }

                @Override
                public void sample(long nowNanos) throws InterruptedException {
                    Thread.sleep(30);
                }
            });
            metrics.bindSelfMonitoring(sampler);
            sampler.round();
            String text = metrics.scrape();

            // The process's own figures, as node_exporter's and the Prometheus clients' process collectors name them.
            long rss = Long.parseLong(Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmRSS:")).findFirst().orElseThrow().replaceAll("\\D", "")) * 1024;
            assertThat(value(text, "process_resident_memory_bytes")).isBetween(rss * 0.5, rss * 2.0);
            assertThat(value(text, "process_virtual_memory_bytes")).isGreaterThan(value(text,
                    "process_resident_memory_bytes"));
            assertThat(value(text, "process_open_fds")).isGreaterThanOrEqualTo(3)
                    .isLessThan(value(text, "process_max_fds"));
            assertThat(value(text, "process_cpu_seconds_total")).isPositive();
            double started = ProcessHandle.current().info().startInstant().orElseThrow().toEpochMilli() / 1000.0;
            assertThat(value(text, "process_start_time_seconds")).isCloseTo(started, within(2.0));
            assertThat(text).contains("# TYPE process_cpu_seconds_total counter",
                    "# HELP process_resident_memory_bytes Resident memory size in bytes.");
            // JVM memory and GC (Micrometer's binders).
            assertThat(value(text, "jvm_memory_used_bytes\\{area=\"heap\",id=\"[^\"]+\"}")).isPositive();
            assertThat(text).contains("jvm_memory_max_bytes{area=\"nonheap\"", "jvm_gc_memory_allocated_bytes_total");
            // Per source: the last round's duration, here a 30 ms sleep (upper bound: a busy 2-CPU machine).
            assertThat(value(text, "hvwatch_source_duration_seconds\\{source=\"slow\"}")).isBetween(0.030, 5.0);

            // The GC pause timer appears with the first collection; it too is written without the library's path.
            System.gc();
            Awaitility.await().atMost(10, TimeUnit.SECONDS)
                    .until(() -> metrics.registry().find("jvm.gc.pause").timer() != null);
            assertThat(metrics.scrapesArePrepared()).isTrue();
            assertThat(metrics.scrape()).contains("# TYPE jvm_gc_pause_seconds summary", "jvm_gc_pause_seconds_max");
        }
    }

    private static double value(String exposition, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(exposition);
        assertThat(m.find()).as("%s in%n%s", series, exposition).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
