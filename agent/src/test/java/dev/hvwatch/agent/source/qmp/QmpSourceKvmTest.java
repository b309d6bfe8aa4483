package dev.hvwatch.agent.source.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.metrics.AgentMetrics;
import dev.hvwatch.agent.metrics.VmMetrics;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.source.VmLifecycle;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QMP source against real QEMU/KVM guests, discovered from the real /proc. The source only sees this test's
 * guests, so that it never takes the monitor of a guest another test is talking to.
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class QmpSourceKvmTest {
    private static final Duration STARTUP = Duration.ofSeconds(20);
    /** Generous: other tests' guests may keep both CPUs of a small test machine busy. */
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(2);
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @TempDir
    Path dir;

    private final Set<Long> mine = ConcurrentHashMap.newKeySet();
    /** Latest sample per "vm/vcpu/series name". */
    private final Map<String, Latest> latest = new ConcurrentHashMap<>();
    private final Map<String, Series> seriesSeen = new ConcurrentHashMap<>();
    private final List<Notice> notices = new CopyOnWriteArrayList<>();
    private final AgentMetrics metrics = new AgentMetrics();
    private EventRing ring;
    private DiscoverySource discovery;
    private QmpSource qmp;

    private record Latest(double value, long timeNanos) {
    }

    @BeforeEach
    void startAgentParts() {
        RealKvm.require();
        EventHandler<TelemetryEvent> capture = (e, seq, end) -> {
            if (e.vm() == null || !mine.contains(e.vm().pid())) {
                return;
            }
            if (e.kind() == EventKind.SAMPLE) {
                String key = e.vm().name() + "/" + e.vcpu() + "/" + e.series().name();
                latest.put(key, new Latest(e.value(), e.timeNanos()));
                seriesSeen.put(key, e.series());
            } else if (e.kind() == EventKind.NOTICE) {
                notices.add(e.notice());
            }
        };
        ring = new EventRing(1 << 14, capture, new VmMetrics(metrics.registry()));
        discovery = new DiscoverySource(new ProcDiscovery(Path.of("/proc")), ring);
    }

    @AfterEach
    void stopAgentParts() {
        if (qmp != null) {
            qmp.close();
        }
        if (ring != null) {
            ring.close();
        }
    }

    private QmpSource qmpSource(List<Path> extraSockets) {
        qmp = new QmpSource(this::myVms, ring, new KvmStatSeries(), Path.of("/proc"), extraSockets, QMP_TIMEOUT);
        return qmp;
    }

    private List<WatchedVm> myVms() {
        return discovery.watched().stream().filter(w -> mine.contains(w.vm().pid())).toList();
    }

    private QemuGuest start(String name, GuestProgram program, String... extraArgs) throws Exception {
        QemuGuest guest = QemuGuest.builder().name(name).program(program).qmpSocket(true)
                .extraArgs(Arrays.asList(extraArgs)).start();
        mine.add(guest.pid());
        guest.awaitVcpuThreads(STARTUP);
        return guest;
    }

    /**
     * One sampling round: discovery, then QMP, as the agent's sampler runs them. Like the sampler, a failed
     * discovery round does not stop the next source: discovery can fail when another test's QEMU exits mid-scan.
     */
    private void round() {
        Instant now = Instant.now();
        long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        try {
            discovery.sample(nowNanos);
        } catch (Exception discoveryDownThisRound) {
            // The VMs of the previous round stay watched.
        }
        assertThatCode(() -> qmp.sample(nowNanos)).doesNotThrowAnyException();
    }

    /** Runs rounds until the VM's vCPU 0 reports {@code series} at a round newer than {@code after}. */
    private Latest awaitSample(String vm, int vcpu, String series, long after) {
        String key = vm + "/" + vcpu + "/" + series;
        Awaitility.await().atMost(15, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(() -> {
            Latest l = latest.get(key);
            if (l != null && l.timeNanos() > after) {
                return true;
            }
            round();
            return false;
        });
        return latest.get(key);
    }

    /** Growth per second of vCPU 0's {@code series} over a window from the next round on. */
    private double ratePerSecond(String vm, String series, Duration window) throws InterruptedException {
        Latest first = awaitSample(vm, 0, series, latestTime(vm, series));
        Thread.sleep(window.toMillis());
        Latest second = awaitSample(vm, 0, series, first.timeNanos());
        return (second.value() - first.value()) * SECOND / (second.timeNanos() - first.timeNanos());
    }

    private long latestTime(String vm, String series) {
        Latest l = latest.get(vm + "/0/" + series);
        return l == null ? 0 : l.timeNanos();
    }

    /**
     * Waits until the guests run their boot sector: on hosts without VMX/SVM, SeaBIOS runs emulated for seconds
     * first, and exits slowly meanwhile.
     */
    private void awaitRate(String vm, String series, double atLeast) {
        Awaitility.await().atMost(45, TimeUnit.SECONDS).pollInterval(Duration.ZERO).pollDelay(Duration.ZERO)
                .until(() -> ratePerSecond(vm, series, Duration.ofSeconds(1)) >= atLeast);
    }

    @Test
    void anIoStormGuestExitsThousandsOfTimesPerSecondWhileASpinningGuestBarelyExits() throws Exception {
        qmpSource(List.of());
        start("storm", GuestProgram.IO_STORM);
        start("spin", GuestProgram.CPU_SPIN);

        awaitRate("storm", "hvwatch.kvm.exits", 5_000);
        double storm = ratePerSecond("storm", "hvwatch.kvm.exits", Duration.ofSeconds(2));
        double spin = ratePerSecond("spin", "hvwatch.kvm.exits", Duration.ofSeconds(2));

        assertThat(storm).as("exits/s of the I/O storm guest").isGreaterThan(5_000);
        assertThat(spin * 10).as("10 x exits/s of the spinning guest, below the storm's").isLessThan(storm);
    }

    /**
     * io_exits counts port I/O that VMX/SVM hands to KVM. Where KVM runs without them (kvm_pvm, as on the machine
     * these tests were written on) real-mode guest code is emulated, its port I/O leaves through the emulator, and
     * io_exits stays 0 while exits and insn_emulation grow: the test above holds there, this one cannot.
     */
    @Test
    void anIoStormGuestsIoExitsGrowThousandsPerSecondUnderHardwareVirtualisation() throws Exception {
        assumeTrue(Files.exists(Path.of("/sys/module/kvm_intel")) || Files.exists(Path.of("/sys/module/kvm_amd")),
                "KVM runs without VMX/SVM here (no kvm_intel or kvm_amd module): port I/O is not in io_exits");
        qmpSource(List.of());
        start("storm", GuestProgram.IO_STORM);
        start("spin", GuestProgram.CPU_SPIN);

        awaitRate("storm", "hvwatch.kvm.io_exits", 1_000);
        double storm = ratePerSecond("storm", "hvwatch.kvm.io_exits", Duration.ofSeconds(2));
        double spin = ratePerSecond("spin", "hvwatch.kvm.io_exits", Duration.ofSeconds(2));

        assertThat(storm).isGreaterThan(1_000);
        assertThat(spin).isLessThan(100);
    }

    @Test
    void metricNamesFollowTheNamingRule() throws Exception {
        qmpSource(List.of());
        start("names", GuestProgram.IO_STORM);

        awaitSample("names", 0, "hvwatch.kvm.exits", 0);

        assertThat(seriesSeen.get("names/0/hvwatch.kvm.halt_poll_success").baseUnit()).isEqualTo("seconds");
        assertThat(seriesSeen.keySet()).noneMatch(k -> k.endsWith("_ns") || k.endsWith("_hist"));
        Awaitility.await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(metrics.scrape())
                .containsPattern(line("hvwatch_kvm_exits_total\\{vcpu=\"0\",vm=\"names\"}"))
                .containsPattern(line("hvwatch_kvm_io_exits_total\\{vcpu=\"0\",vm=\"names\"}"))
                .containsPattern(line("hvwatch_kvm_halt_poll_success_seconds_total\\{vcpu=\"0\",vm=\"names\"}"))
                .containsPattern(line("hvwatch_kvm_halt_wait_seconds_total\\{vcpu=\"0\",vm=\"names\"}"))
                .containsPattern(line("hvwatch_kvm_guest_mode\\{vcpu=\"0\",vm=\"names\"}"))
                .containsPattern(line("hvwatch_kvm_pages_4k\\{vm=\"names\"}"))
                .containsPattern(line("hvwatch_kvm_max_mmu_rmap_size\\{vm=\"names\"}"))
                .containsPattern(line("hvwatch_kvm_remote_tlb_flush_total\\{vm=\"names\"}"))
                .contains("# TYPE hvwatch_kvm_pages_4k gauge")
                .doesNotContain("_hist")
                .doesNotContain("hvwatch_kvm_halt_poll_success_ns"));
    }

    private static Pattern line(String series) {
        return Pattern.compile("(?m)^" + series + " [0-9.E+-]+$");
    }

    @Test
    void aMonitorHeldByAnotherClientIsCountedBusyWithBackoffAndRecoveredWhenItLeaves() throws Exception {
        qmpSource(List.of());
        QemuGuest guest = start("held", GuestProgram.IDLE);
        try (SocketChannel other = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.connect(UnixDomainSocketAddress.of(guest.qmpSocketPath().orElseThrow()));
            other.read(ByteBuffer.allocate(4096)); // the greeting: QEMU now serves this client

            long until = System.nanoTime() + 6 * SECOND;
            while (System.nanoTime() < until) {
                round();
                Thread.sleep(250);
            }

            assertThat(qmp.errors(QmpError.BUSY)).as("attempts back off: 0.5 s, 1 s, 2 s, 4 s apart")
                    .isBetween(1L, 5L);
            assertThat(qmp.openConnections()).as("never queued behind the holder").isZero();
            assertThat(latest).isEmpty();
        }

        awaitSample("held", 0, "hvwatch.kvm.exits", 0);

        assertThat(errorsByReason()).containsOnlyKeys("busy");
    }

    private Map<String, Long> errorsByReason() {
        Map<String, Long> errors = new TreeMap<>();
        for (QmpError reason : QmpError.values()) {
            if (qmp.errors(reason) > 0) {
                errors.put(reason.label(), qmp.errors(reason));
            }
        }
        return errors;
    }

    @Test
    void aKilledGuestClosesItsConnectionWithoutALoopOfErrors() throws Exception {
        qmpSource(List.of());
        QemuGuest guest = start("doomed", GuestProgram.IO_STORM);
        awaitSample("doomed", 0, "hvwatch.kvm.exits", 0);
        assertThat(qmp.openConnections()).isEqualTo(1);

        guest.close();
        round();
        long errorsAfterTheKill = Arrays.stream(QmpError.values()).mapToLong(qmp::errors).sum();
        for (int i = 0; i < 5; i++) {
            round();
        }

        assertThat(qmp.openConnections()).isZero();
        assertThat(errorsAfterTheKill).isLessThanOrEqualTo(1);
        assertThat(Arrays.stream(QmpError.values()).mapToLong(qmp::errors).sum()).isEqualTo(errorsAfterTheKill);
    }

    @Test
    void hotPlugPauseResumeUnplugAndQuitThroughASecondMonitorBecomeNotices() throws Exception {
        qmpSource(List.of());
        Path second = dir.resolve("second.qmp");
        QemuGuest guest = start("plugged", GuestProgram.IDLE, "-qmp", "unix:" + second + ",server=on,wait=off");
        awaitSample("plugged", 0, "hvwatch.kvm.exits", 0); // connected, device tree baseline taken
        Vm vm = myVms().get(0).vm();
        Path theOther = vm.qmpSocket().orElseThrow().equals(second) ? guest.qmpSocketPath().orElseThrow() : second;

        try (QmpConnection operator = QmpConnection.open(theOther, event -> { })) {
            assertThat(operator.handshake(SECOND, SECOND)).isTrue();
            execute(operator, "device_add", "{\"driver\": \"pci-testdev\", \"id\": \"hv-test0\"}");
            execute(operator, "stop", null);
            execute(operator, "cont", null);
            awaitNotice(VmLifecycle.RESUMED);

            Notice added = notices.stream().filter(n -> n.type().equals(VmLifecycle.DEVICE_ADDED)).findFirst()
                    .orElseThrow();
            assertThat(added.device()).isEqualTo("hv-test0");
            assertThat(added.facts()).containsEntry("driver", "pci-testdev")
                    .containsEntry("path", "/machine/peripheral/hv-test0");
            assertThat(notices).extracting(Notice::type).contains(VmLifecycle.PAUSED);

            // The boot-sector guest ignores ACPI unplug requests; a reset completes them.
            execute(operator, "device_del", "{\"id\": \"hv-test0\"}");
            execute(operator, "system_reset", null);
            awaitNotice(VmLifecycle.DEVICE_REMOVED);
            execute(operator, "quit", null);
        }
        awaitNotice(VmLifecycle.STOPPED);

        assertThat(notices.stream().filter(n -> n.type().equals(VmLifecycle.DEVICE_REMOVED)))
                .singleElement().satisfies(n -> {
                    assertThat(n.device()).isEqualTo("hv-test0");
                    assertThat(n.facts()).containsEntry("seen_by", "event");
                });
        assertThat(notices.stream().filter(n -> n.type().equals(VmLifecycle.STOPPED))).singleElement()
                .satisfies(n -> assertThat(n.facts()).containsEntry("reason", "host-qmp-quit")
                        .containsEntry("initiator", "host"));
        assertThat(notices.stream().filter(n -> n.type().equals(VmLifecycle.DEVICE_ADDED))).hasSize(1);
    }

    private static JsonNode execute(QmpConnection qmp, String command, String argumentsJson) throws Exception {
        ObjectNode arguments = argumentsJson == null ? null : (ObjectNode) QmpConnection.JSON.readTree(argumentsJson);
        return qmp.execute(QmpConnection.Request.of(command, arguments), SECOND);
    }

    private void awaitNotice(String type) {
        Awaitility.await().atMost(15, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (notices.stream().anyMatch(n -> n.type().equals(type))) {
                return true;
            }
            round();
            return false;
        });
    }

    @Test
    void aConfiguredSocketIsMatchedToItsVmAndPreferredToTheCommandLines() throws Exception {
        Path second = dir.resolve("second.qmp");
        QemuGuest guest = start("configured", GuestProgram.IDLE, "-qmp", "unix:" + second + ",server=on,wait=off");
        Path configured = guest.qmpSocketPath().orElseThrow();
        qmpSource(List.of(configured));
        round();
        assertThat(myVms().get(0).vm().qmpSocket()).as("premise: the command line's socket is the last -qmp")
                .contains(second);

        try (SocketChannel other = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.connect(UnixDomainSocketAddress.of(second));
            other.read(ByteBuffer.allocate(4096));

            awaitSample("configured", 0, "hvwatch.kvm.exits", 0);
        }

        assertThat(qmp.errors(QmpError.BUSY)).as("the held command-line socket was never tried").isZero();
    }

    @Test
    void statisticsOfEveryVcpuAreLabelledWithItsIndex() throws Exception {
        qmpSource(List.of());
        QemuGuest guest = QemuGuest.builder().name("two").program(GuestProgram.IDLE).vcpus(2).qmpSocket(true)
                .start();
        mine.add(guest.pid());
        guest.awaitVcpuThreads(STARTUP);

        awaitSample("two", 0, "hvwatch.kvm.exits", 0);
        awaitSample("two", 1, "hvwatch.kvm.exits", 0);

        List<String> vcpus = new ArrayList<>(latest.keySet().stream().filter(k -> k.endsWith("/hvwatch.kvm.exits"))
                .toList());
        assertThat(vcpus).containsExactlyInAnyOrder("two/0/hvwatch.kvm.exits", "two/1/hvwatch.kvm.exits");
    }
}
