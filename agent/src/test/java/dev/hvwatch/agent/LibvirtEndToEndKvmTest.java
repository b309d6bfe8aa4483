package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.HostCommand;
import dev.hvwatch.testkit.LibvirtGuest;
import dev.hvwatch.testkit.Libvirtd;
import dev.hvwatch.testkit.RealKvm;
import java.net.InetSocketAddress;
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
 * A libvirt host end to end: real KVM domains run by the host's libvirtd, one of them an OpenStack instance (Nova's
 * metadata), starved by two others on the same pinned CPU with far more CPU shares; the whole agent (libvirt source on)
 * shipping over mutual TLS to a real collector and its journal.
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
class LibvirtEndToEndKvmTest {
    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final String HOST = "libvirt-host";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aStarvedNovaInstanceIsReportedWithItsTenantAndItsLifeIsAlerted() throws Exception {
        RealKvm.require();
        Libvirtd.require();
        String prefix = "hvw-e2e-" + UUID.randomUUID().toString().substring(0, 6) + "-";
        // The victim first: with 2 CPU shares against 2048 it could hardly start once the others spin.
        LibvirtGuest victim = LibvirtGuest.builder().name(prefix + "victim").program(GuestProgram.CPU_SPIN)
                .cpuset("0").shares(2).nova(new LibvirtGuest.Nova("billing-db-1", "billing",
                        "1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f", "alice", "8f2b4a1e6c1d4f0e9b2a3c4d5e6f7a8b", "m1.small"))
                .start();
        victim.awaitVcpuThreads(Duration.ofSeconds(30));
        LibvirtGuest noisy1 = LibvirtGuest.builder().name(prefix + "noisy1").program(GuestProgram.CPU_SPIN)
                .cpuset("0").shares(1024).start();
        LibvirtGuest noisy2 = LibvirtGuest.builder().name(prefix + "noisy2").program(GuestProgram.CPU_SPIN)
                .cpuset("0").shares(1024).start();
        noisy1.awaitVcpuThreads(Duration.ofSeconds(30));
        noisy2.awaitVcpuThreads(Duration.ofSeconds(30));

        Pki pki = Pki.createCa(dir.resolve("pki"), "libvirt e2e CA");
        TlsFiles collectorTls = pki.issueServer("collector");
        TlsFiles agentTls = pki.issueAgent(HOST);
        Path journal = dir.resolve("alerts.jsonl");
        try (Collector collector = new Collector(CollectorConfig.of(new InetSocketAddress("127.0.0.1", 0),
                collectorTls, dir.resolve("journal"), journal))) {
            int port = collector.start();
            AgentConfig config = new AgentConfig(new AgentConfig.Identity(HOST),
                    new AgentConfig.Sampling(INTERVAL, null), null, new AgentConfig.Rules(List.of(AlertLines.starvationRule(dir)), null),
                    new AgentConfig.Metrics("127.0.0.1:0"),
                    new AgentConfig.Collector("127.0.0.1:" + port, null, agentTls.cert(), agentTls.key(),
                            agentTls.ca(), null),
                    new AgentConfig.State(dir.resolve("state")), null, null, null, null, null, null,
                    new AgentConfig.Libvirt("true", Libvirtd.URI), null);
            try (Agent agent = Agent.start(config)) {
                Alert starved = Awaitility.await("starvation alert for the Nova instance at the collector")
                        .atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                        .until(() -> AlertLines.first(journal, "vcpu-starvation", AlertState.FIRING, victim.name()), a -> a != null);
                assertThat(starved.vm().instanceName()).isEqualTo("billing-db-1");
                assertThat(starved.vm().project()).isEqualTo("billing");
                assertThat(starved.vm().projectId()).isEqualTo("1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f");
                assertThat(starved.vm().user()).isEqualTo("alice");
                assertThat(starved.vm().flavor()).isEqualTo("m1.small");
                assertThat(starved.vm().manager()).isEqualTo("libvirt");
                assertThat(starved.vm().uuid()).isEqualTo(victim.uuid().toString());

                MetricsPage page = MetricsPage.scrape(agent.metricsAddress());
                assertThat(page.value("hvwatch_source_up{source=\"libvirt\"}")).isEqualTo(1);
                assertThat(page.value("hvwatch_vm_info{flavor=\"m1.small\",instance_name=\"billing-db-1\","
                        + "manager=\"libvirt\",pid=\"" + victim.pid() + "\",project=\"billing\",project_id="
                        + "\"1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f\",source=\"proc\",user=\"alice\",uuid=\"" + victim.uuid()
                        + "\",vm=\"" + victim.name() + "\"}")).isEqualTo(1);
                assertThat(page.value("hvwatch_kvm_exits_total{vcpu=\"0\",vm=\"" + noisy1.name() + "\"}")).isPositive();
                assertThat(page.value("hvwatch_source_errors_total{source=\"libvirt\"}")).isZero();
                assertDelayAgreesWithOurWait(agent, victim);

                // The competitors go (a libvirtd restarted while a guest is starved can fail to reattach to it and
                // kill it: libvirt's behaviour, not hvwatch's), then the victim's life.
                assertLifecycleAlertWithinTwoIntervals(journal, noisy1, "destroy", "vm-stopped");
                noisy2.virsh("destroy");
                assertLifecycleAlertWithinTwoIntervals(journal, victim, "suspend", "vm-paused");
                assertLifecycleAlertWithinTwoIntervals(journal, victim, "resume", "vm-resumed");

                String ran = "hvwatch_vcpu_run_seconds_total{vcpu=\"0\",vm=\"" + victim.name() + "\"}";
                try {
                    Libvirtd.kill();
                    Awaitility.await("libvirt source down, schedstat still up").atMost(30, TimeUnit.SECONDS)
                            .pollInterval(Duration.ofMillis(200)).until(() -> {
                                MetricsPage p = MetricsPage.scrape(agent.metricsAddress());
                                return p.value("hvwatch_source_up{source=\"libvirt\"}") == 0
                                        && p.value("hvwatch_source_up{source=\"schedstat\"}") == 1;
                            });
                    double before = MetricsPage.scrape(agent.metricsAddress()).value(ran);
                    Awaitility.await("schedstat keeps sampling without libvirt").atMost(10, TimeUnit.SECONDS)
                            .until(() -> MetricsPage.scrape(agent.metricsAddress()).value(ran) > before + 1);
                } finally {
                    Libvirtd.start();
                }
                Awaitility.await("libvirt source back without an agent restart").atMost(60, TimeUnit.SECONDS)
                        .pollInterval(Duration.ofMillis(500)).until(() -> MetricsPage.scrape(agent.metricsAddress())
                                .value("hvwatch_source_up{source=\"libvirt\"}") == 1);

                assertLifecycleAlertWithinTwoIntervals(journal, victim, "destroy", "vm-stopped");
                Alert stopped = AlertLines.first(journal, "vm-stopped", AlertState.FIRING, victim.name());
                assertThat(stopped.evidence()).containsEntry("reason", "destroyed").containsEntry("via", "libvirt");
                assertThat(stopped.vm().instanceName()).isEqualTo("billing-db-1");
            }
        }
    }

    /**
     * libvirt's vcpu.0.delay and hvwatch's wait seconds both come from the thread's schedstat, a counter that only
     * grows, about a second per second for the victim. virsh itself takes seconds here (libvirt asks the starved QEMU
     * for the vCPUs' state), so hvwatch is read before and after it: libvirt's figure must lie between the two, within
     * 5 % (a second after 20 s, which also covers the half-interval by which the served value may lag).
     */
    private static void assertDelayAgreesWithOurWait(Agent agent, LibvirtGuest victim) throws Exception {
        String series = "hvwatch_vcpu_wait_seconds_total{vcpu=\"0\",vm=\"" + victim.name() + "\"}";
        Awaitility.await("the victim has waited 20 s").atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofSeconds(1))
                .until(() -> MetricsPage.scrape(agent.metricsAddress()).value(series) >= 20);
        double before = MetricsPage.scrape(agent.metricsAddress()).value(series);
        String out = HostCommand.check(Duration.ofSeconds(60), "virsh", "-c", Libvirtd.URI, "domstats", "--vcpu",
                victim.name());
        double after = MetricsPage.scrape(agent.metricsAddress()).value(series);
        double delay = out.lines().map(String::strip).filter(l -> l.startsWith("vcpu.0.delay="))
                .mapToDouble(l -> Long.parseLong(l.substring("vcpu.0.delay=".length())) / 1e9).findFirst()
                .orElseThrow(() -> new AssertionError("no vcpu.0.delay in " + out));
        assertThat(delay).as("libvirt's delay %s s against hvwatch's wait %s s before and %s s after", delay, before,
                after).isBetween(before * 0.95, after * 1.05);
    }

    /** The lifecycle alert's time is at most two sampling intervals after the virsh command returned. */
    private static void assertLifecycleAlertWithinTwoIntervals(Path journal, LibvirtGuest guest, String command,
                                                               String rule) throws Exception {
        guest.virsh(command);
        Instant done = Instant.now();
        Alert alert = Awaitility.await(rule + " after virsh " + command).atMost(30, TimeUnit.SECONDS)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> AlertLines.first(journal, rule, AlertState.FIRING, guest.name()), a -> a != null);
        Duration late = Duration.between(done, AlertTime.parse(alert.time()));
        assertThat(late).as(rule + " raised %s after the command", late).isLessThanOrEqualTo(INTERVAL.multipliedBy(2));
        assertThat(alert.evidence()).containsEntry("via", "libvirt");
    }
}
