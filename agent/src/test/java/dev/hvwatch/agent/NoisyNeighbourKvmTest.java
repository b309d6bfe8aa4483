package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.HostBusyLoop;
import dev.hvwatch.testkit.LibvirtGuest;
import dev.hvwatch.testkit.Libvirtd;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who took the CPU, on real guests with the whole agent shipping to a real collector. On CPU 0: a victim of least
 * weight, two spinning antagonists of different weights, and a busy host process ("hvw-hog", like stress); on CPU 1
 * a spinning guest that never competes with the victim. The victim's starvation alert must name the two antagonists,
 * heavier first, each with a share of the wait within 10 points of the share of CPU 0 its vCPU ran (measured here
 * from its schedstat over the alert's window: CPU 0 never idles, so that is run time over wall time), never the
 * guest on CPU 1, and the busy loop as host share. Once with plain QEMU (taskset, nice), once with libvirt domains
 * (vcpupin, cpuset, cputune shares, one of them an OpenStack instance).
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
class NoisyNeighbourKvmTest {
    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final Duration WINDOW = Duration.ofSeconds(5);
    private static final double TOLERANCE = 0.10;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void plainQemuTheAlertNamesTheAntagonistsInWeightOrderAndTheHostLoop() throws Exception {
        RealKvm.require();
        // nice 19, 0, 5, 3: CFS weights 15, 1024, 335, 526 on CPU 0
        QemuGuest victim = QemuGuest.builder().name("victim").program(GuestProgram.CPU_SPIN).pinCpus("0").nice(19)
                .start();
        QemuGuest heavy = QemuGuest.builder().name("heavy").program(GuestProgram.CPU_SPIN).pinCpus("0").start();
        QemuGuest light = QemuGuest.builder().name("light").program(GuestProgram.CPU_SPIN).pinCpus("0").nice(5)
                .start();
        QemuGuest far = QemuGuest.builder().name("far").program(GuestProgram.CPU_SPIN).pinCpus("1").nice(5).start();
        Guests g = new Guests(victim.pid(), victim.awaitVcpuThreads(Duration.ofSeconds(10)).get(0),
                heavy.pid(), heavy.awaitVcpuThreads(Duration.ofSeconds(10)).get(0),
                light.pid(), light.awaitVcpuThreads(Duration.ofSeconds(10)).get(0));
        far.awaitVcpuThreads(Duration.ofSeconds(10));
        try (HostBusyLoop hog = HostBusyLoop.start(dir, "hvw-hog", "0", 3)) {
            Alert alert = runAgentUntilTheVictimStarves("victim", g, hog, null, config -> config);
            Map<String, Object> first = antagonist(alert, 0);
            assertThat(vm(first)).containsEntry("name", "heavy").containsEntry("pid", (int) heavy.pid())
                    .containsEntry("manager", "qemu");
            assertThat(first).containsEntry("cpus", "0");
            assertThat(vm(antagonist(alert, 1))).containsEntry("name", "light");
            assertThat(alert.message()).contains("; the CPU went to VM heavy (");
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void libvirtDomainsPinnedWithVcpupinAndCpusetAndWeightedByShares() throws Exception {
        RealKvm.require();
        Libvirtd.require();
        String prefix = "hvw-nn-" + UUID.randomUUID().toString().substring(0, 6) + "-";
        // The victim first: with 2 shares against 2048 it could hardly start once the others spin.
        LibvirtGuest victim = LibvirtGuest.builder().name(prefix + "victim").program(GuestProgram.CPU_SPIN)
                .cpuset("0").shares(2).start();
        long victimTid = victim.awaitVcpuThreads(Duration.ofSeconds(30)).get(0);
        LibvirtGuest heavy = LibvirtGuest.builder().name(prefix + "heavy").program(GuestProgram.CPU_SPIN)
                .vcpupin(0, "0").shares(2048).nova(new LibvirtGuest.Nova("web-frontend", "shop",
                        "5c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f", "carol", "9f2b4a1e6c1d4f0e9b2a3c4d5e6f7a8b", "m1.large"))
                .start();
        LibvirtGuest light = LibvirtGuest.builder().name(prefix + "light").program(GuestProgram.CPU_SPIN)
                .vcpupin(0, "0").shares(512).start();
        LibvirtGuest far = LibvirtGuest.builder().name(prefix + "far").program(GuestProgram.CPU_SPIN)
                .cpuset("1").shares(1024).start();
        Guests g = new Guests(victim.pid(), victimTid, heavy.pid(), heavy.awaitVcpuThreads(Duration.ofSeconds(30))
                .get(0), light.pid(), light.awaitVcpuThreads(Duration.ofSeconds(30)).get(0));
        far.awaitVcpuThreads(Duration.ofSeconds(30));
        try (HostBusyLoop hog = HostBusyLoop.start(dir, "hvw-hog", "0", 5)) {
            Alert alert = runAgentUntilTheVictimStarves(victim.name(), g, hog, far.name(),
                    config -> new AgentConfig(config.identity(), config.sampling(), null, config.rules(),
                            config.metrics(), config.collector(), config.state(), null, null, null, null, null, null,
                            new AgentConfig.Libvirt("true", Libvirtd.URI), config.attribution()));
            Map<String, Object> first = antagonist(alert, 0);
            assertThat(vm(first)).containsEntry("name", heavy.name()).containsEntry("instance_name", "web-frontend")
                    .containsEntry("project", "shop").containsEntry("project_id", "5c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f")
                    .containsEntry("user", "carol").containsEntry("flavor", "m1.large")
                    .containsEntry("uuid", heavy.uuid().toString()).containsEntry("manager", "libvirt");
            assertThat(first).containsEntry("cpus", "0");
            assertThat(vm(antagonist(alert, 1))).containsEntry("name", light.name());
            assertThat(alert.message()).as("named by its instance name").contains("; the CPU went to VM web-frontend (");
        }
    }

    /** The vCPU threads whose run the test measures: the victim's, the heavier and the lighter antagonist's. */
    private record Guests(long victimPid, long victimTid, long heavyPid, long heavyTid, long lightPid, long lightTid) {
    }

    /** One reading of what ran on CPU 0, at a wall-clock time. */
    private record Reading(long millis, long victimRun, long heavyRun, long lightRun, long hogRun) {
    }

    private interface Adjust {
        AgentConfig apply(AgentConfig config);
    }

    /**
     * Runs the agent with a test starvation rule (80% for 5 s, attribution armed from 50%, a census a second) until
     * the victim's alert reaches the collector, reading the guests' run times meanwhile; checks the shares against
     * those readings over the alert's window, the host share, the guest on CPU 1 and the interference series.
     */
    private Alert runAgentUntilTheVictimStarves(String victimName, Guests g, HostBusyLoop hog, String farName,
                                                Adjust adjust) throws Exception {
        String far = farName != null ? farName : "far";
        Pki pki = Pki.createCa(dir.resolve("pki"), "noisy-neighbour CA");
        TlsFiles collectorTls = pki.issueServer("collector");
        TlsFiles agentTls = pki.issueAgent("nn-host");
        Path journal = dir.resolve("alerts.jsonl");
        List<Reading> readings = new ArrayList<>();
        LongSupplier victimRun = () -> run(g.victimPid(), g.victimTid());
        try (Collector collector = new Collector(CollectorConfig.of(new InetSocketAddress("127.0.0.1", 0),
                collectorTls, dir.resolve("journal"), journal))) {
            int port = collector.start();
            AgentConfig config = adjust.apply(new AgentConfig(new AgentConfig.Identity("nn-host"),
                    new AgentConfig.Sampling(INTERVAL, null), null, new AgentConfig.Rules(List.of(testRules()), null),
                    new AgentConfig.Metrics("127.0.0.1:0"),
                    new AgentConfig.Collector("127.0.0.1:" + port, null, agentTls.cert(), agentTls.key(),
                            agentTls.ca(), null),
                    new AgentConfig.State(dir.resolve("state")), null, null, null, null, null, null, null,
                    new AgentConfig.Attribution(true, Duration.ofSeconds(1), null)));
            try (Agent agent = Agent.start(config)) {
                Alert alert = Awaitility.await("the victim's starvation alert at the collector")
                        .atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(() -> {
                            readings.add(new Reading(System.currentTimeMillis(), victimRun.getAsLong(),
                                    run(g.heavyPid(), g.heavyTid()), run(g.lightPid(), g.lightTid()), hog.runNanos()));
                            return find(journal, victimName);
                        }, a -> a != null);

                long end = AlertTime.parse(alert.time()).toEpochMilli();
                Reading from = nearest(readings, end - WINDOW.toMillis() - INTERVAL.toMillis());
                Reading to = nearest(readings, end);
                double wall = (to.millis() - from.millis()) * 1e6;
                double heavyShare = (to.heavyRun() - from.heavyRun()) / wall;
                double lightShare = (to.lightRun() - from.lightRun()) / wall;
                double hogShare = (to.hogRun() - from.hogRun()) / wall;
                double victimShare = (to.victimRun() - from.victimRun()) / wall;
                MetricsPage page = MetricsPage.scrape(agent.metricsAddress());
                String measured = String.format("measured over %.1f s: heavy %.3f, light %.3f, hog %.3f, victim %.3f; "
                        + "censuses %.0f, census errors %.0f, unexplained alerts %.0f; alert: %s", wall / 1e9,
                        heavyShare, lightShare, hogShare, victimShare, page.value("hvwatch_attribution_censuses_total"),
                        page.value("hvwatch_source_errors_total{source=\"census\"}"),
                        page.value("hvwatch_attribution_unexplained_total"), AlertJson.toLine(alert));

                System.out.println("NoisyNeighbourKvmTest " + measured);
                List<Map<String, Object>> antagonists = antagonists(alert);
                assertThat(antagonists).as(measured).extracting(a -> vm(a).get("name")).doesNotContain(far);
                assertThat(antagonists).as(measured).hasSizeGreaterThanOrEqualTo(2);
                assertThat(share(antagonists.get(0))).as("the heavier antagonist; " + measured)
                        .isCloseTo(heavyShare, offset(TOLERANCE));
                assertThat(share(antagonists.get(1))).as("the lighter antagonist; " + measured)
                        .isCloseTo(lightShare, offset(TOLERANCE));
                double host = ((Number) alert.evidence().get("other_host_share")).doubleValue();
                assertThat(host).as("the host: the busy loop and whatever else ran on CPU 0; " + measured)
                        .isGreaterThanOrEqualTo(hogShare - TOLERANCE)
                        .isCloseTo(1 - heavyShare - lightShare - victimShare, offset(TOLERANCE));
                assertThat(processes(alert)).as(measured).contains(hog.name());

                String heavyName = (String) vm(antagonists.get(0)).get("name");
                assertThat(page.value("hvwatch_vm_cpu_interference_seconds_total{antagonist=\"" + heavyName
                        + "\",vm=\"" + victimName + "\"}")).isPositive();
                assertThat(page.text()).as("the guest on CPU 1 slows no one on CPU 0")
                        .doesNotContain("antagonist=\"" + far + "\",vm=\"" + victimName + "\"");
                assertThat(page.value("hvwatch_attribution_censuses_total")).isPositive();
                assertThat(page.value("hvwatch_source_errors_total{source=\"census\"}")).as(measured).isZero();
                return alert;
            }
        }
    }

    /** The starvation rule with a test's thresholds, not inhibited by the host contention this test causes. */
    private Path testRules() throws IOException {
        return Files.writeString(dir.resolve("test-rules.yaml"), """
                rules:
                  - id: vcpu-starvation
                    title: vCPU starved of host CPU
                    category: starvation
                    severity: high
                    nist: [HY-SR-5]
                    scope: vcpu
                    condition: wait_share >= 0.8
                    resolve: wait_share < 0.3
                    attribute_when: wait_share >= 0.5
                    for: 5s
                    message: "vCPU {{vcpu}} of VM {{vm}} waited {{wait_share | percent}}{{antagonists}}"
                """);
    }

    private static long run(long pid, long tid) {
        try {
            return Long.parseLong(Files.readString(Path.of("/proc/" + pid + "/task/" + tid + "/schedstat"))
                    .split(" ")[0]);
        } catch (IOException e) {
            throw new IllegalStateException("a test guest's vCPU thread is gone: " + pid + "/" + tid, e);
        }
    }

    private static Reading nearest(List<Reading> readings, long millis) {
        Reading best = readings.get(0);
        for (Reading r : readings) {
            if (Math.abs(r.millis() - millis) < Math.abs(best.millis() - millis)) {
                best = r;
            }
        }
        return best;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> antagonists(Alert alert) {
        Object list = alert.evidence().get("antagonists");
        assertThat(list).as("evidence.antagonists of %s", AlertJson.toLine(alert)).isInstanceOf(List.class);
        return (List<Map<String, Object>>) list;
    }

    @SuppressWarnings("unchecked")
    private static List<String> processes(Alert alert) {
        return (List<String>) alert.evidence().get("other_host_processes");
    }

    private static Map<String, Object> antagonist(Alert alert, int i) {
        return antagonists(alert).get(i);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> vm(Map<String, Object> antagonist) {
        return new LinkedHashMap<>((Map<String, Object>) antagonist.get("vm"));
    }

    private static double share(Map<String, Object> antagonist) {
        return ((Number) antagonist.get("share_of_wait")).doubleValue();
    }

    private static Alert find(Path journal, String vm) throws IOException {
        if (!Files.exists(journal)) {
            return null;
        }
        return Files.readAllLines(journal).stream().filter(l -> !l.isBlank()).map(AlertJson::parse)
                .filter(a -> a.rule().equals("vcpu-starvation") && a.state() == AlertState.FIRING && a.vm() != null
                        && vm.equals(a.vm().name()))
                .findFirst().orElse(null);
    }
}
