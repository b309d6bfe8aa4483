package dev.hvwatch.agent.source.posture;

import static org.assertj.core.api.Assertions.assertThat;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.metrics.AgentMetrics;
import dev.hvwatch.agent.metrics.VmMetrics;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.rules.RuleEngine;
import dev.hvwatch.agent.rules.RulePack;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.source.posture.check.DefaultChecks;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertTime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The posture source on a fixture host, through the real ring to the metrics and the default rules. */
class PostureSourceTest {
    private static final long T0 = 1_700_000_000_000_000_000L;
    private static final long SECOND = 1_000_000_000L;

    @TempDir
    Path host;

    private final List<Alert> alerts = new CopyOnWriteArrayList<>();
    private final AgentMetrics metrics = new AgentMetrics();
    private EventRing ring;
    private ProcDiscovery discovery;
    private PostureSource source;

    /** Copies what the consumers need of each event: slots are reused. */
    private record Seen(EventKind kind, String vm, String check, double value, Notice notice) {
    }

    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        EventHandler<TelemetryEvent> capture = (e, seq, end) -> {
            if (e.kind() == EventKind.SAMPLE && e.series().name().equals("hvwatch.posture.check")) {
                seen.add(new Seen(e.kind(), e.vm() == null ? null : e.vm().name(), e.series().labels().get("check"),
                        e.value(), null));
            } else if (e.kind() == EventKind.NOTICE) {
                seen.add(new Seen(e.kind(), e.vm() == null ? null : e.vm().name(), null, 0, e.notice()));
            }
        };
        RuleEngine rules = new RuleEngine(RulePack.load(List.of()), new AlertFactory("fixture-host"), alerts::add, 8);
        ring = new EventRing(1 << 12, capture, new VmMetrics(metrics.registry()), rules);
        Ttar.extract("posture/clean-host.ttar", host);
        Ttar.extract("posture/ksm-on.ttar", host);
        discovery = new ProcDiscovery(host.resolve("proc"));
        HostView.Roots roots = new HostView.Roots(host.resolve("proc"), host.resolve("sys"), host.resolve("cgroup"),
                host.resolve("run/libvirt/qemu"));
        source = new PostureSource(roots, () -> discovery.watched().values(), ring,
                DefaultChecks.of(AgentConfig.defaults().posture()), Duration.ofSeconds(60));
    }

    @AfterEach
    void stop() throws IOException {
        ring.close();
        try (Stream<Path> all = Files.walk(host)) {
            for (Path p : all.filter(Files::isSymbolicLink).toList()) {
                Files.delete(p);
            }
        }
    }

    /** One sampling round at T0 + seconds: discovery, posture, then the end of the round. */
    private void round(long seconds) throws IOException {
        long now = T0 + seconds * SECOND;
        discovery.scan();
        source.sample(now);
        ring.publishTick(now);
    }

    /** Until every consumer has taken every event: the whole ring is free again. */
    private void awaitRing() {
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> ring.remainingCapacity() == 1 << 12);
    }

    @Test
    void aRunPublishesEveryChecksStateAndOneNoticePerFindingThenWaitsForItsPeriodOrANewVm() throws Exception {
        round(0);
        awaitRing();

        assertThat(seen).filteredOn(s -> s.kind() == EventKind.NOTICE).singleElement().satisfies(s -> {
            assertThat(s.vm()).isNull();
            assertThat(s.notice().type()).isEqualTo("posture.finding");
            assertThat(s.notice().facts()).containsEntry("check", "ksm").containsEntry("ksm_run", "1")
                    .containsKeys("summary", "fix");
        });
        assertThat(seen).filteredOn(s -> s.kind() == EventKind.SAMPLE)
                .anySatisfy(s -> assertThat(s).isEqualTo(new Seen(EventKind.SAMPLE, null, "ksm", 0, null)))
                .anySatisfy(s -> assertThat(s).isEqualTo(new Seen(EventKind.SAMPLE, "web", "hw-virt", 1, null)));
        assertThat(metrics.scrape()).contains("hvwatch_posture_check{check=\"ksm\"} 0.0")
                .contains("hvwatch_posture_check{check=\"hw-virt\",vm=\"web\"} 1.0");

        seen.clear();
        round(1);
        awaitRing();
        assertThat(seen).as("within its period, without a new VM, nothing runs").isEmpty();

        Ttar.extract("posture/vnc-all-addresses.ttar", host);
        round(2);
        awaitRing();
        assertThat(seen).filteredOn(s -> s.kind() == EventKind.NOTICE).extracting(s -> s.vm() + "/"
                + s.notice().facts().get("check")).containsExactlyInAnyOrder("null/ksm", "desk/management-exposure");
    }

    @Test
    void aRunPublishesTheSizesOvercommitRatiosAreMadeOf() throws Exception {
        round(0);
        awaitRing();
        assertThat(metrics.scrape()).contains("hvwatch_host_cpus 8.0")
                .contains("hvwatch_host_memory_bytes " + (double) (131913820L * 1024))
                .contains("hvwatch_vm_vcpus{vm=\"web\"} 2.0")
                .contains("hvwatch_vm_memory_bytes{vm=\"web\"} " + (double) (4096L << 20));
    }

    @Test
    void aRewrittenLibvirtStatusFileRunsTheChecksAtOnce() throws Exception {
        Ttar.extract("posture/libvirt-hostdev-cputune.ttar", host);
        round(0);
        Path xml = host.resolve("run/libvirt/qemu/instance-0000a1.xml");
        Files.writeString(xml, Files.readString(xml).replace("<shares>2048</shares>", "<shares>1024</shares>"));
        Files.setLastModifiedTime(xml, FileTime.fromMillis(Files.getLastModifiedTime(xml).toMillis() + 1000));
        awaitRing();
        seen.clear();

        round(1);
        awaitRing();

        assertThat(seen).filteredOn(s -> s.kind() == EventKind.NOTICE).extracting(s -> s.vm() + "/"
                + s.notice().facts().get("check")).contains("instance-0000a1/config-change");
    }

    @Test
    void theDefaultRulesRaiseAPersistentFindingOnceAndResolveItThreeRunsAfterTheFix() throws Exception {
        for (long t = 0; t <= 180; t += 60) {
            round(t);
        }
        Files.writeString(host.resolve("sys/kernel/mm/ksm/run"), "2\n");
        for (long t = 240; t <= 420; t += 60) {
            round(t);
        }
        awaitRing();

        assertThat(alerts).extracting(a -> a.rule() + " " + a.state().wireName() + " "
                + Duration.ofNanos(nanos(a) - T0).toSeconds() + "s")
                .containsExactly("posture-ksm firing 0s", "posture-ksm resolved 360s");
        assertThat(alerts.get(0).category().wireName()).isEqualTo("posture");
        assertThat(alerts.get(0).nist()).containsExactly("HY-SR-3");
        assertThat(alerts.get(0).message()).startsWith("Kernel same-page merging is on").contains(" Fix: Turn it off");
    }

    private static long nanos(Alert a) {
        Instant at = AlertTime.parse(a.time());
        return at.getEpochSecond() * SECOND + at.getNano();
    }
}
