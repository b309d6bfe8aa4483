package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.metrics.AgentMetrics;
import dev.hvwatch.agent.metrics.Shown;
import dev.hvwatch.agent.metrics.VmMetrics;
import dev.hvwatch.agent.metrics.InterferenceMetrics;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.rules.FiringAlert;
import dev.hvwatch.agent.source.IommuFaults;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.libvirt.DomainMetric;
import dev.hvwatch.agent.source.perf.PerfSeries;
import dev.hvwatch.agent.source.tracepoint.TracepointSeries;
import dev.hvwatch.testkit.ConfigKeys;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.DocRegion;
import dev.hvwatch.testkit.MetricFamilies;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The agent's reference tables in docs/ are generated from the code: the configuration keys with their defaults,
 * the rules of the default pack (the NIST table: RulesCoverageTest), the series the agent registers with their help
 * text. Each test fails when its table drifts from the code, and says how to regenerate it.
 */
class ReferenceDocsTest {
    private static final String REGENERATE = "mvn -B -pl agent -am test -Dtest=ReferenceDocsTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false";
    private static final int RING = 1 << 10;
    private static final Pattern SERIES = Pattern.compile("hvwatch_[a-z0-9_]+");
    /** KVM statistics are named after the kernel's, which differ between kernels and hosts. */
    private static final String KVM_STATISTIC = "hvwatch_kvm_";
    /** The one default that depends on the machine; its meaning says what it is. */
    private static final String HOST_KEY = "identity.host";

    @TempDir
    Path dir;

    @Test
    void configurationListsEveryAgentKeyWithItsDefaultAndMeaning() {
        DocRegion region = DocRegion.of("docs/configuration.md", "agent-config");
        List<ConfigKeys.Key> keys = ConfigKeys.of("", AgentConfig.class, AgentConfig.defaults()).stream()
                .map(k -> k.path().equals(HOST_KEY) ? new ConfigKeys.Key(HOST_KEY, "", false) : k)
                .toList();

        region.assertHolds(ConfigKeys.markdown(keys, region.lastCellByFirst()), REGENERATE);
        assertThat(region.lastCellByFirst()).as("every key in %s has a meaning", region.file())
                .allSatisfy((key, meaning) -> assertThat(meaning).as(key).isNotBlank());
    }

    @Test
    void rulesListEveryDefaultRuleWithSeverityCategoryAndNistItems() {
        DocRegion.of("docs/rules.md", "default-rules").assertHolds(run("rules", "list", "--markdown"), REGENERATE);
    }

    /**
     * The series of the golden fixture host (what the /proc, cgroup, PSI, debugfs and posture sources feed), those a
     * whole agent registers for itself, started on a host without VMs, and those of the sources that need real guests
     * or a libvirt daemon; KVM statistics, named by the kernel, are one family.
     */
    @Test
    void metricsListEverySeriesTheAgentRegistersWithItsHelp() throws Exception {
        String golden = Files.readString(Path.of("src/test/resources/golden/metrics.txt"));
        String own = scrapeAnAgentWithoutVms();
        String fed = seriesOfSourcesThatNeedGuests();

        DocRegion.of("docs/metrics.md", "agent-metrics").assertHolds(
                MetricFamilies.markdown(List.of(golden, own, fed)), REGENERATE);
    }

    /**
     * Every series name the front page and the docs mention is one the agent or the collector registers (their
     * generated tables, which the tests above and CollectorMetricsDocsTest keep true), the prefix of a family written
     * with braces ({@code hvwatch_vm_block_{read,write}_bytes_total}), or a KVM statistic, which the kernel names: a
     * renamed or removed series cannot linger in the prose.
     */
    @Test
    void everySeriesTheDocsNameIsRegistered() throws Exception {
        Set<String> registered = new TreeSet<>();
        for (String table : List.of("agent-metrics", "collector-metrics")) {
            for (String series : DocRegion.of("docs/metrics.md", table).lastCellByFirst().keySet()) {
                registered.add(series.replaceAll("[`]|\\{.*", ""));
            }
        }
        assertThat(registered).as("series in the generated tables").hasSizeGreaterThan(50);
        Map<String, Set<String>> unknown = new TreeMap<>();
        for (Path doc : DocLinksTest.docs()) {
            Matcher m = SERIES.matcher(Files.readString(doc));
            while (m.find()) {
                String name = m.group();
                boolean known = registered.contains(name.replaceFirst("_(count|sum|bucket)$", ""))
                        || name.endsWith("_") && registered.stream().anyMatch(r -> r.startsWith(name))
                        || name.startsWith(KVM_STATISTIC);
                if (!known) {
                    unknown.computeIfAbsent(doc.getFileName().toString(), d -> new TreeSet<>()).add(name);
                }
            }
        }
        assertThat(unknown).as("series the docs name that neither the agent nor the collector registers").isEmpty();
    }

    /**
     * What the agent's metrics consumer registers for every series libvirt's domain statistics, the perf counters,
     * the exit tracepoints (on the VMX fixture tree) and the IOMMU fault counts may publish, for an alert firing and for
     * an interference pair.
     */
    private static String seriesOfSourcesThatNeedGuests() throws Exception {
        AgentMetrics metrics = new AgentMetrics();
        EventRing ring = new EventRing(RING, new VmMetrics(metrics.registry(), 1, Shown.ALL));
        try {
            Vm vm = new Vm(77, 1, "web", "u-1", 1, Optional.empty(), true, List.of());
            List<Boolean> published = new ArrayList<>();
            published.add(ring.publishVmLifecycle(EventKind.VM_STARTED, 1, vm));
            for (DomainMetric m : DomainMetric.values()) {
                published.add(ring.publishSample(1, vm, -1, m.series(m.group().perDevice() ? "vda" : null), 1));
            }
            for (Series s : PerfSeries.all()) {
                published.add(ring.publishSample(1, vm, 0, s, 1));
            }
            Path tracefs = Path.of(ReferenceDocsTest.class.getResource("/tracefs/linux-6.18").toURI());
            for (Series s : TracepointSeries.vmx(tracefs)) {
                published.add(ring.publishSample(1, vm, -1, s, 1));
            }
            published.add(ring.publishSample(1, null, -1, IommuFaults.series("0000:03:00.0", "DMAR", "kmsg"), 1));
            published.add(ring.publishSample(1, null, -1, IommuFaults.series("0000:03:00.0", null, "tracepoint"), 1));
            assertThat(published).as("published on the ring").doesNotContain(false);
            metrics.alertsFiring(Map.of(new FiringAlert("vcpu-starvation", "high", vm.name()), 1));
            // Attribution's pairs appear once a VM waited while another ran on its CPUs.
            new InterferenceMetrics(metrics.registry()).add(vm,
                    new Vm(78, 1, "batch", "u-2", 1, Optional.empty(), true, List.of()), 1.5);
            Awaitility.await("the ring drained").atMost(10, TimeUnit.SECONDS)
                    .until(() -> ring.remainingCapacity() == RING);
            return metrics.scrape();
        } finally {
            ring.close();
        }
    }

    private String scrapeAnAgentWithoutVms() throws Exception {
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Path sys = Files.createDirectories(dir.resolve("sys"));
        // The kernel log source keys its cursor by boot.
        Files.writeString(Files.createDirectories(proc.resolve("sys/kernel/random")).resolve("boot_id"),
                "0f4b6e2c-5d1a-4c3e-9b8f-7a6d5c4b3a21\n");
        TlsFiles tls = Pki.createCa(dir.resolve("pki"), "docs CA").issueAgent("hv-docs");
        int nobody;
        try (ServerSocket s = new ServerSocket(0)) {
            nobody = s.getLocalPort(); // closed again: the agent finds no collector there, and keeps its alerts
        }
        AgentConfig config = new AgentConfig(new AgentConfig.Identity("hv-docs"),
                new AgentConfig.Sampling(Duration.ofMillis(200), proc), null, null,
                new AgentConfig.Metrics("127.0.0.1:0"),
                new AgentConfig.Collector("127.0.0.1:" + nobody, null, tls.cert(), tls.key(), tls.ca(), null),
                new AgentConfig.State(Files.createDirectories(dir.resolve("state"))),
                // The kernel log source and a libvirt connection that finds no daemon: their counters register.
                new AgentConfig.KernelLog(true, Files.createFile(dir.resolve("kmsg"))), null,
                new AgentConfig.Debugfs(sys.resolve("kvm")),
                new AgentConfig.Tracing(sys.resolve("tracing"), sys.resolve("module")),
                new AgentConfig.Posture(false, null, sys, sys.resolve("cgroup"), sys.resolve("libvirt"), null, null,
                        null, null, null),
                null, new AgentConfig.Libvirt("true", "qemu:///system?socket=" + dir.resolve("no-libvirtd")), null);
        try (Agent agent = Agent.start(config)) {
            AtomicReference<String> text = new AtomicReference<>();
            Awaitility.await("the health source's series and the GC's").atMost(30, TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        // The GC pause series registers at the first collection after start: ask for one, so that
                        // the table does not depend on whether one happened by itself.
                        System.gc();
                        text.set(MetricsPage.scrape(agent.metricsAddress()).text());
                        return text.get().contains("hvwatch_agent_sources_down ")
                                && text.get().contains("jvm_gc_pause_seconds_count");
                    });
            return text.get();
        }
    }

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cmd = AgentMain.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        assertThat(cmd.execute(args)).isZero();
        return out.toString().replace(System.lineSeparator(), "\n");
    }
}
