package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertSchemaCheck;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The foundation slice with every stage real: QEMU/KVM guests spinning on one host CPU, the agent reading their
 * vCPU threads from the real /proc, the starvation rule, TLS with client certificates to a collector on its own
 * loopback endpoint, the collector's journal and its JSON-lines output, every alert of which follows the alert
 * schema.
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
class StarvationEndToEndTest {
    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final Duration RULE_TOLERANCE = Duration.ofMillis(500);
    private static final Duration START_TOLERANCE = Duration.ofMillis(4000);
    private static final String HOST = "e2e-host";
    private static final String RULE = "vcpu-starvation";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aLowPriorityGuestOnABusyCpuIsReportedStarvedAndResolvedWhenTheCompetitorsStop() throws Exception {
        RealKvm.require();
        Pki pki = Pki.createCa(dir.resolve("pki"), "e2e CA");
        TlsFiles collectorTls = pki.issueServer("collector");
        TlsFiles agentTls = pki.issueAgent(HOST);
        Path journal = dir.resolve("alerts.jsonl");

        UUID victimUuid = UUID.randomUUID();
        QemuGuest noisy1 = QemuGuest.builder().name("noisy-1").program(GuestProgram.CPU_SPIN).pinCpus("0").start();
        QemuGuest noisy2 = QemuGuest.builder().name("noisy-2").program(GuestProgram.CPU_SPIN).pinCpus("0").start();
        QemuGuest victim = QemuGuest.builder().name("victim").uuid(victimUuid).program(GuestProgram.CPU_SPIN)
                .pinCpus("0").nice(19).start();
        long victimTid = victim.awaitVcpuThreads(Duration.ofSeconds(10)).get(0);

        try (Collector collector = new Collector(CollectorConfig.of(new InetSocketAddress("127.0.0.1", 0),
                collectorTls, dir.resolve("journal"), journal))) {
            int port = collector.start();
            AgentConfig config = new AgentConfig(new AgentConfig.Identity(HOST),
                    new AgentConfig.Sampling(INTERVAL, null), null,
                    new AgentConfig.Rules(List.of(AlertLines.starvationRule(dir)), null),
                    new AgentConfig.Metrics("127.0.0.1:0"),
                    new AgentConfig.Collector("127.0.0.1:" + port, null, agentTls.cert(), agentTls.key(),
                            agentTls.ca(), null),
                    new AgentConfig.State(dir.resolve("state")), null, null, null, null, null, null, null, null);

            try (Agent agent = Agent.start(config)) {
                Instant started = Instant.now(); // Agent.start has just run the first round

                Alert firing = Awaitility.await("starvation alert for the victim at the collector")
                        .atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                        .until(() -> find(journal, AlertState.FIRING, "victim"), a -> a != null);
                // Detection latency, the issue's target: the round that fires comes at most 2 intervals after the
                // rule's 'for' (1 s) has passed since the condition first held (held_since, a sampling time).
                // Tolerance 0.5 s for rounds that slip on this loaded 2-CPU machine.
                Instant heldSince = Instant.parse((String) firing.evidence().get("held_since"));
                Duration detection = Duration.between(heldSince, Instant.parse(firing.time()));
                // And from the agent's start: the victim waits from the first round on, so the condition holds from
                // the first delta (one interval in) if its wait is seen at once. Tolerance 4 s: a nice-19
                // vCPU's wait reaches schedstat only when it next runs (up to an interval late), and the guests and
                // the agent's first rounds compete for the one CPU the spinners leave (4.5 s seen in CI).
                Duration latency = Duration.between(started, Instant.parse(firing.time()));
                System.out.println("starvation detected " + latency.toMillis() + " ms after the first round, "
                        + detection.toMillis() + " ms after the condition first held");
                assertThat(detection).isBetween(Duration.ofSeconds(1),
                        Duration.ofSeconds(1).plus(INTERVAL.multipliedBy(2)).plus(RULE_TOLERANCE));
                assertThat(latency).isLessThanOrEqualTo(INTERVAL.plus(Duration.ofSeconds(1))
                        .plus(INTERVAL.multipliedBy(2)).plus(START_TOLERANCE));
                assertThat(firing.vm().uuid()).isEqualTo(victimUuid.toString());
                assertThat(firing.vm().pid()).isEqualTo(victim.pid());
                assertThat(firing.host()).isEqualTo(HOST);
                assertThat(firing.agent()).isEqualTo(HOST);
                assertThat(firing.seq()).isPositive();
                assertThat(firing.rule()).isEqualTo("vcpu-starvation");
                assertThat(firing.nist()).containsExactly("HY-SR-5");
                assertThat((Double) firing.evidence().get("wait_share")).isGreaterThanOrEqualTo(0.8);
                assertThat(firing.evidence()).containsEntry("condition", "wait_share >= 0.8");
                assertThat(alerts(journal)).as("the equal-priority competitors share the CPU and are not starved")
                        .noneMatch(a -> a.rule().equals(RULE) && a.vm().name().startsWith("noisy"));

                MetricsPage metrics = MetricsPage.scrape(agent.metricsAddress());
                assertThat(metrics.text()).contains("hvwatch_vm_info{flavor=\"\",instance_name=\"\",manager=\"qemu\",pid=\""
                        + victim.pid() + "\",project=\"\",project_id=\"\",source=\"proc\",user=\"\",uuid=\"" + victimUuid
                        + "\",vm=\"victim\"} 1");
                assertWaitAgreesWithProc(metrics, victim.pid(), victimTid);
                assertThat(metrics.value("hvwatch_alerts_total{rule=\"vcpu-starvation\",severity=\"high\"}"))
                        .isGreaterThanOrEqualTo(1);
                assertThat(metrics.value("hvwatch_source_up{source=\"schedstat\"}")).isEqualTo(1);
                // Two equal spinners and a nice-19 one share CPU 0: far from each getting its entitlement.
                // By hand: shares ~0.496, 0.496, 0.007 → Jain ≈ 0.67; 1/3 would be one VM taking everything.
                assertThat(metrics.value("hvwatch_host_cpu_fairness_index")).isBetween(0.34, 0.9);
                assertThat(metrics.value("hvwatch_vm_cpu_share_ratio{vm=\"victim\"}"))
                        .isLessThan(metrics.value("hvwatch_vm_cpu_share_ratio{vm=\"noisy-1\"}") / 5);
                assertThat(metrics.value("hvwatch_events_dropped_total{stage=\"ring\"}")).isZero();
                assertThat(metrics.value("hvwatch_events_dropped_total{stage=\"spool\"}")).isZero();
                assertThat(metrics.value("hvwatch_spool_pending_alerts")).isGreaterThanOrEqualTo(0);

                noisy1.close();
                noisy2.close();
                Alert resolved = Awaitility.await("resolution once the competitors stopped")
                        .atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                        .until(() -> find(journal, AlertState.RESOLVED, "victim"), a -> a != null);
                assertThat(resolved.seq()).isGreaterThan(firing.seq());
                assertThat((Double) resolved.evidence().get("wait_share")).isLessThan(0.3);

                Awaitility.await("stopped VMs leave /metrics").atMost(5, TimeUnit.SECONDS)
                        .until(() -> !MetricsPage.scrape(agent.metricsAddress()).contains("vm=\"noisy-1\""));
                assertThat(MetricsPage.scrape(agent.metricsAddress()).text()).doesNotContain("vm=\"noisy-2\"").contains("vm=\"victim\"");
                assertThat(Files.readAllLines(journal).stream().filter(l -> !l.isBlank()))
                        .as("the collector's JSON-lines output").isNotEmpty().allSatisfy(AlertSchemaCheck::assertValid);
            }
        }
    }

    /**
     * The wait seconds served for the victim's vCPU agree with /proc for the same thread. The served value is the
     * last sample, at most one interval old, and the thread can wait at most one second per second: tolerance is
     * one interval plus 0.5 s for scheduling of the scrape itself.
     */
    private static void assertWaitAgreesWithProc(MetricsPage metrics, long pid, long tid) throws IOException {
        double served = metrics.value("hvwatch_vcpu_wait_seconds_total{vcpu=\"0\",vm=\"victim\"}");
        String[] fields = Files.readString(Path.of("/proc/" + pid + "/task/" + tid + "/schedstat")).trim().split(" ");
        double proc = Long.parseLong(fields[1]) / 1e9;
        assertThat(served).isPositive();
        assertThat(proc - served).isBetween(0.0, INTERVAL.toMillis() / 1000.0 + 0.5);
    }

    private static Alert find(Path journal, AlertState state, String vm) throws IOException {
        return AlertLines.first(journal, RULE, state, vm);
    }

    private static List<Alert> alerts(Path journal) throws IOException {
        return AlertLines.read(journal);
    }
}
