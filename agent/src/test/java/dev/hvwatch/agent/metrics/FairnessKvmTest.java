package dev.hvwatch.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.hvwatch.agent.Agent;
import dev.hvwatch.agent.MetricsPage;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fairness figures on real guests spinning on one host CPU, against answers computed by hand from the
 * scheduler's weights. Each scenario runs a full window (10 s) before it is read, so that only its own rounds count.
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
class FairnessKvmTest {
    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final long SETTLE_MILLIS = Fairness.WINDOW_NANOS / 1_000_000 + 2 * INTERVAL.toMillis() + 500;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void equalGuestsAreFairANiceOneIsWrongedAndCgroupWeightsAndLimitsAreHonoured() throws Exception {
        RealKvm.require();
        // No collector listens: alerts stay in the spool, which is not what this test is about.
        TlsFiles tls = Pki.createCa(dir.resolve("pki"), "fairness CA").issueAgent("fairness");
        AgentConfig config = new AgentConfig(new AgentConfig.Identity("fairness"),
                new AgentConfig.Sampling(INTERVAL, null), null, null, new AgentConfig.Metrics("127.0.0.1:0"),
                new AgentConfig.Collector("127.0.0.1:9", null, tls.cert(), tls.key(), tls.ca(), null),
                new AgentConfig.State(dir.resolve("state")), null, null, null, null, null, null, null, null);
        try (Agent agent = Agent.start(config)) {
            // 1. Two equal spinners on CPU 0: each gets half, its entitlement.
            QemuGuest a = spinner("equal-a", 0).start();
            QemuGuest b = spinner("equal-b", 0).start();
            Thread.sleep(SETTLE_MILLIS);
            MetricsPage equal = MetricsPage.scrape(agent.metricsAddress());
            assertThat(equal.value("hvwatch_host_cpu_fairness_index"))
                    .as("%s", equal.family("hvwatch_vm_cpu_entitlement_ratio")).isGreaterThan(0.95);
            assertThat(equal.value("hvwatch_vm_steal_ratio{vm=\"equal-a\"}")).isCloseTo(0.5, offset(0.1));
            assertThat(equal.value("hvwatch_vm_cpu_entitlement_ratio{vm=\"equal-b\"}")).isCloseTo(1.0, offset(0.1));
            b.close();

            // 2. The same against a nice-19 guest: CFS weights 1024 and 15, so shares 1024/1039 and 15/1039 of
            //    the CPU; entitled to half each, x = 1.9711 and 0.0289: Jain = 4 / (2 (x1² + x2²)) = 0.5147.
            QemuGuest low = spinner("low", 19).start();
            Thread.sleep(SETTLE_MILLIS);
            MetricsPage nice = MetricsPage.scrape(agent.metricsAddress());
            assertThat(nice.value("hvwatch_host_cpu_fairness_index"))
                    .as("%s", nice.family("hvwatch_vm_cpu_entitlement_ratio")).isCloseTo(0.5147, offset(0.03));
            assertThat(nice.value("hvwatch_vm_steal_ratio{vm=\"low\"}")).isGreaterThan(0.9);
            assertThat(nice.value("hvwatch_vm_cpu_entitlement_ratio{vm=\"low\"}")).isLessThan(0.1);
            a.close();
            low.close();

            // 3. Cgroup weights 200 and 100: the scheduler gives 2/3 and 1/3, which is what they are entitled to.
            try (TestCgroup heavyGroup = TestCgroup.create(200); TestCgroup lightGroup = TestCgroup.create(100)) {
                QemuGuest heavy = spinner("heavy", 0).start();
                QemuGuest light = spinner("light", 0).start();
                heavyGroup.add(heavy.pid());
                lightGroup.add(light.pid());
                Thread.sleep(SETTLE_MILLIS);
                MetricsPage weighted = MetricsPage.scrape(agent.metricsAddress());
                assertThat(weighted.value("hvwatch_vm_cpu_weight{vm=\"heavy\"}")).isEqualTo(200);
                assertThat(weighted.value("hvwatch_vm_cpu_limit_cpus{vm=\"light\"}")).isInfinite();
                double heavyShare = weighted.value("hvwatch_vm_cpu_share_ratio{vm=\"heavy\"}");
                double lightShare = weighted.value("hvwatch_vm_cpu_share_ratio{vm=\"light\"}");
                assertThat(heavyShare / lightShare).isCloseTo(2.0, offset(0.3));
                System.out.printf("fairness index: equal spinners %.4f, against nice 19 %.4f, cgroup weights 200/100 "
                        + "%.4f (shares %.3f / %.3f)%n", equal.value("hvwatch_host_cpu_fairness_index"),
                        nice.value("hvwatch_host_cpu_fairness_index"),
                        weighted.value("hvwatch_host_cpu_fairness_index"), heavyShare, lightShare);
                assertThat(weighted.value("hvwatch_host_cpu_fairness_index"))
                        .as("%s", weighted.family("hvwatch_vm_cpu_entitlement_ratio")).isGreaterThan(0.95);

                // 4. Limit the light guest to 0.1 CPU: the scheduler throttles it there and the heavy one takes the
                //    rest, which water filling entitles it to. Host share of 0.1 CPU on 2 CPUs: 0.05.
                double throttledBefore = weighted.value("hvwatch_vm_cpu_throttled_periods_total{vm=\"light\"}");
                lightGroup.limit(0.1);
                Thread.sleep(SETTLE_MILLIS);
                MetricsPage limited = MetricsPage.scrape(agent.metricsAddress());
                assertThat(limited.value("hvwatch_vm_cpu_limit_cpus{vm=\"light\"}")).isCloseTo(0.1, offset(1e-9));
                assertThat(limited.value("hvwatch_vm_cpu_throttled_periods_total{vm=\"light\"}") - throttledBefore)
                        .as("about one throttled period per 100 ms").isGreaterThan(50);
                assertThat(limited.value("hvwatch_vm_cpu_share_ratio{vm=\"light\"}")).isCloseTo(0.05, offset(0.01));
                System.out.printf("fairness index with light limited to 0.1 CPU: %.4f (shares %.3f / %.3f)%n",
                        limited.value("hvwatch_host_cpu_fairness_index"),
                        limited.value("hvwatch_vm_cpu_share_ratio{vm=\"heavy\"}"),
                        limited.value("hvwatch_vm_cpu_share_ratio{vm=\"light\"}"));
                assertThat(limited.value("hvwatch_host_cpu_fairness_index"))
                        .as("%s", limited.family("hvwatch_vm_cpu_entitlement_ratio")).isGreaterThan(0.95);
                heavy.close();
                light.close();
            }
        }
    }

    private static QemuGuest.Builder spinner(String name, int nice) {
        return QemuGuest.builder().name(name).program(GuestProgram.CPU_SPIN).pinCpus("0").nice(nice);
    }
}
