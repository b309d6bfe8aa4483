package dev.hvwatch.agent.source.debugfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.metrics.AgentMetrics;
import dev.hvwatch.agent.metrics.VmMetrics;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The debugfs source on a copy of src/test/resources/debugfs/kvm: VM 4242 as Linux 6.x lays it out (x86, two
 * vCPUs), VM 5151 with malformed files; the QEMU processes are a /proc fixture.
 */
class DebugfsSourceTest {
    @TempDir
    Path dir;

    private Path root;
    private final AgentMetrics metrics = new AgentMetrics();
    /** "vm/vcpu/series name" to the latest sample. */
    private final Map<String, Sampled> samples = new ConcurrentHashMap<>();
    private EventRing ring;
    private DiscoverySource discovery;

    private record Sampled(double value, String baseUnit, boolean cumulative) {
    }

    @BeforeEach
    void fixtures() throws Exception {
        root = dir.resolve("kvm");
        copy(Path.of(getClass().getResource("/debugfs/kvm").toURI()), root);
        Path proc = Files.createDirectories(dir.resolve("proc"));
        qemu(proc, 4242, "web");
        qemu(proc, 5151, "broken");
        EventHandler<TelemetryEvent> capture = (e, seq, end) -> {
            if (e.kind() == EventKind.SAMPLE) {
                samples.put(e.vm().name() + "/" + e.vcpu() + "/" + e.series().name(),
                        new Sampled(e.value(), e.series().baseUnit(), e.series().cumulative()));
            }
        };
        ring = new EventRing(1024, capture, new VmMetrics(metrics.registry()));
        discovery = new DiscoverySource(new ProcDiscovery(proc), ring);
        discovery.sample(1);
    }

    @AfterEach
    void stop() {
        ring.close();
    }

    private DebugfsSource source(Predicate<Vm> fedElsewhere) {
        return new DebugfsSource(root, discovery::watched, ring, new KvmStatSeries(), fedElsewhere);
    }

    private Sampled sample(String key) {
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> samples.containsKey(key));
        return samples.get(key);
    }

    @Test
    void aVmsStatisticsBecomeTheSeriesQmpWouldFeed() throws Exception {
        DebugfsSource debugfs = source(vm -> false);

        debugfs.sample(2);

        assertThat(sample("web/-1/hvwatch.kvm.exits")).isEqualTo(new Sampled(1_843_207, null, true));
        assertThat(sample("web/-1/hvwatch.kvm.io_exits")).isEqualTo(new Sampled(1_610_422, null, true));
        assertThat(sample("web/-1/hvwatch.kvm.halt_poll_success")).isEqualTo(new Sampled(2.5, "seconds", true));
        assertThat(sample("web/-1/hvwatch.kvm.pages_4k")).isEqualTo(new Sampled(8192, null, false));
        assertThat(sample("web/-1/hvwatch.kvm.max_mmu_rmap_size")).isEqualTo(new Sampled(3, null, false));
        assertThat(sample("web/-1/hvwatch.kvm.blocking")).isEqualTo(new Sampled(1, null, false));
        assertThat(sample("web/0/hvwatch.kvm.guest_mode")).isEqualTo(new Sampled(1, null, false));
        assertThat(sample("web/1/hvwatch.kvm.guest_mode")).isEqualTo(new Sampled(0, null, false));
        Awaitility.await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(metrics.scrape())
                .contains("hvwatch_kvm_exits_total{vm=\"web\"} 1843207.0")
                .contains("hvwatch_kvm_halt_poll_success_seconds_total{vm=\"web\"} 2.5")
                .contains("hvwatch_kvm_halt_wait_seconds_total{vm=\"web\"} 9.834459044")
                .contains("hvwatch_kvm_remote_tlb_flush_total{vm=\"web\"} 7.0")
                .contains("hvwatch_kvm_pages_4k{vm=\"web\"} 8192.0")
                .contains("hvwatch_kvm_guest_mode{vcpu=\"0\",vm=\"web\"} 1.0"));

        assertThat(samples.keySet().stream().filter(k -> k.startsWith("web/")))
                .as("the kernel's 60 statistics, less 3 histograms, guest_mode per vCPU (2) instead of summed")
                .hasSize(58)
                .noneMatch(k -> k.equals("web/-1/hvwatch.kvm.guest_mode"))
                .noneMatch(k -> k.contains("hist") || k.contains("pid") || k.contains("tsc") || k.contains("rmaps")
                        || k.contains("lapic"));
        assertThat(debugfs.errors()).isEqualTo(4); // all of VM 5151's, none of web's
    }

    @Test
    void malformedFilesAreCountedEveryRoundAndTheRestIsStillRead() throws Exception {
        DebugfsSource debugfs = source(vm -> false);

        debugfs.sample(2);
        debugfs.sample(3);

        assertThat(debugfs.errors()).isEqualTo(8);
        assertThat(sample("broken/-1/hvwatch.kvm.pages_4k").value()).isEqualTo(100);
        assertThat(sample("broken/-1/hvwatch.kvm.irq_exits").value()).isEqualTo(18446744073709551615.0);
        assertThat(samples).doesNotContainKeys("broken/-1/hvwatch.kvm.exits", "broken/-1/hvwatch.kvm.io_exits",
                "broken/-1/hvwatch.kvm.halt_exits", "broken/-1/hvwatch.kvm.mmio_exits");
    }

    @Test
    void vmsAnotherSourceFeedsAreLeftToIt() throws Exception {
        KvmStatSeries series = new KvmStatSeries();
        AtomicBoolean qmpFeedsWeb = new AtomicBoolean(true);
        DebugfsSource debugfs = new DebugfsSource(root, discovery::watched, ring, series,
                vm -> vm.name().equals("broken") || qmpFeedsWeb.get());

        debugfs.sample(2);

        Thread.sleep(200);
        assertThat(samples).isEmpty();
        assertThat(debugfs.errors()).isZero();

        qmpFeedsWeb.set(false);
        debugfs.sample(3);
        sample("web/-1/hvwatch.kvm.exits");
        qmpFeedsWeb.set(true);
        samples.clear();
        debugfs.sample(4);

        assertThat(sample("web/-1/hvwatch.kvm.exits").value())
                .as("a VM debugfs fed stays debugfs's, or sums over vCPUs would count it twice").isEqualTo(1_843_207);
    }

    @Test
    void unreadableDebugfsIsDownOnlyWhileSomeVmNeedsIt() throws Exception {
        DebugfsSource everyVmFedByQmp = new DebugfsSource(dir.resolve("locked-down"), discovery::watched, ring,
                new KvmStatSeries(), vm -> true);
        DebugfsSource needed = new DebugfsSource(dir.resolve("locked-down"), discovery::watched, ring,
                new KvmStatSeries(), vm -> vm.name().equals("broken"));

        assertThatCode(() -> everyVmFedByQmp.sample(2)).doesNotThrowAnyException();
        assertThatThrownBy(() -> needed.sample(2)).isInstanceOf(IOException.class)
                .hasMessageContaining("locked-down").hasMessageContaining("[web]");
    }

    @Test
    void ofSeveralVmsOfOneProcessTheOneCreatedLastIsTheGuest() throws Exception {
        Path scratch = Files.createDirectories(root.resolve("4242-9"));
        Files.writeString(scratch.resolve("exits"), "5\n");

        source(vm -> false).sample(2);

        assertThat(sample("web/-1/hvwatch.kvm.exits").value()).isEqualTo(1_843_207);
    }

    @Test
    void aReadOnlyStatisticUnknownToThisVersionIsAGauge() throws Exception {
        Path vm = root.resolve("4242-11");
        Files.writeString(vm.resolve("new_level"), "7\n");
        Files.setPosixFilePermissions(vm.resolve("new_level"), PosixFilePermissions.fromString("r--r--r--"));
        Files.writeString(vm.resolve("new_count"), "9\n");
        Files.setPosixFilePermissions(vm.resolve("new_count"), PosixFilePermissions.fromString("rw-r--r--"));

        source(v -> false).sample(2);

        assertThat(sample("web/-1/hvwatch.kvm.new_level").cumulative()).isFalse();
        assertThat(sample("web/-1/hvwatch.kvm.new_count").cumulative()).isTrue();
    }

    /** A QEMU process as discovery reads it: argv, start time, /dev/kvm open, one vCPU thread. */
    private static void qemu(Path proc, long pid, String name) throws IOException {
        Path p = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(p.resolve("stat"), pid + " (qemu-system-x86) S 1 " + pid + " " + pid
                + " 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 1 0 777 1000 200 18446744073709551615\n");
        Files.write(p.resolve("cmdline"), ("qemu-system-x86_64\0-name\0guest=" + name + "\0")
                .getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(Files.createDirectories(p.resolve("fd")).resolve("3"), Path.of("/dev/kvm"));
        Path task = Files.createDirectories(p.resolve("task").resolve(Long.toString(pid + 1)));
        Files.writeString(task.resolve("comm"), "CPU 0/KVM\n");
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }
}
