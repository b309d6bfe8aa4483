package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.metrics.AgentMetrics;
import dev.hvwatch.agent.metrics.Shown;
import dev.hvwatch.agent.metrics.VmMetrics;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.source.cgroup.CgroupCpuSource;
import dev.hvwatch.agent.source.debugfs.DebugfsSource;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.PostureSource;
import dev.hvwatch.agent.source.posture.Ttar;
import dev.hvwatch.agent.source.posture.check.DefaultChecks;
import dev.hvwatch.agent.source.psi.PressureSource;
import dev.hvwatch.agent.source.schedstat.SchedstatSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /metrics end to end on fixture inputs, node_exporter style: a host tree (posture/clean-host.ttar with the
 * golden/round-*.ttar overlays) and the debugfs fixture go through the agent's sources, ring and metrics consumer
 * for two rounds one second apart, and the exposition text must equal {@code golden/metrics.txt}.
 * <p>
 * After an intended change, regenerate the file and review its diff:
 * {@code mvn -pl agent -am test -Dtest=GoldenMetricsTest -Dsurefire.failIfNoSpecifiedTests=false -Dgolden.update=true}
 */
class GoldenMetricsTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/metrics.txt");
    private static final long T0 = 1_000_000_000_000L;
    private static final int RING = 1 << 12;

    @TempDir
    Path host;
    private EventRing ring;

    @Test
    void metricsOfAFixtureHostMatchTheGoldenFile() throws Exception {
        AgentMetrics metrics = new AgentMetrics();
        ring = new EventRing(RING, new VmMetrics(metrics.registry(), 8, Shown.ALL));
        Ttar.extract("posture/clean-host.ttar", host);
        Ttar.extract("golden/round-1.ttar", host);
        Path proc = host.resolve("proc");
        DiscoverySource discovery = new DiscoverySource(new ProcDiscovery(proc), ring);
        List<Source> sources = List.of(discovery,
                new SchedstatSource(proc, discovery, ring),
                new CgroupCpuSource(proc, host.resolve("cgroup"), discovery::watched, ring),
                new PressureSource(proc, ring),
                new DebugfsSource(Path.of(getClass().getResource("/debugfs/kvm").toURI()), discovery::watched, ring,
                        new KvmStatSeries(), vm -> false),
                new PostureSource(new HostView.Roots(proc, host.resolve("sys"), host.resolve("cgroup"),
                        host.resolve("run/libvirt/qemu")), discovery::watched, ring,
                        DefaultChecks.of(AgentConfig.defaults().posture()), Duration.ofMinutes(1)));

        round(sources, T0);
        Ttar.extract("golden/round-2.ttar", host);
        round(sources, T0 + 1_000_000_000L);
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> ring.remainingCapacity() == RING);
        String actual = metrics.scrape();
        assertThat(metrics.scrapesArePrepared()).as("every series written without the library's per-scrape path")
                .isTrue();

        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(GOLDEN, actual);
        }
        assertThat(actual).as("/metrics against %s (regenerate with -Dgolden.update=true, then review the diff)",
                GOLDEN).isEqualTo(Files.readString(GOLDEN));
    }

    private void round(List<Source> sources, long now) throws Exception {
        for (Source s : sources) {
            s.sample(now);
        }
        ring.publishTick(now);
    }

    @AfterEach
    void stop() throws Exception {
        if (ring != null) {
            ring.close();
        }
        // The fixture has links to /dev/kvm and the like: remove them so that cleanup never follows one.
        try (Stream<Path> all = Files.walk(host)) {
            for (Path p : all.filter(Files::isSymbolicLink).toList()) {
                Files.delete(p);
            }
        }
    }
}
