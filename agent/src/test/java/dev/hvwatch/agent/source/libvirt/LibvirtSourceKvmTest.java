package dev.hvwatch.agent.source.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.source.VmLifecycle;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.vm.Tenant;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.HostCommand;
import dev.hvwatch.testkit.LibvirtGuest;
import dev.hvwatch.testkit.Libvirtd;
import dev.hvwatch.testkit.RealKvm;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The libvirt source against the host's real libvirtd and real KVM domains, with discovery reading the real /proc,
 * driven round by round as the sampler drives it. Only this test's domains are watched.
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LibvirtSourceKvmTest {
    private static final Duration STARTUP = Duration.ofSeconds(30);

    private final Set<String> mine = ConcurrentHashMap.newKeySet();
    /** Latest sample per "vm/vcpu/series name{labels}". */
    private final Map<String, Double> latest = new ConcurrentHashMap<>();
    private final List<Notice> notices = new CopyOnWriteArrayList<>();
    private final String prefix = "hvw-" + UUID.randomUUID().toString().substring(0, 6) + "-";
    private EventRing ring;
    private DiscoverySource discovery;
    private LibvirtSource libvirt;

    @BeforeEach
    void startAgentParts() {
        RealKvm.require();
        Libvirtd.require();
        EventHandler<TelemetryEvent> capture = (e, seq, end) -> {
            if (e.vm() == null || !mine.contains(e.vm().uuid())) {
                return;
            }
            if (e.kind() == EventKind.SAMPLE) {
                latest.put(e.vm().name() + "/" + e.vcpu() + "/" + e.series().prometheusName()
                        + e.series().labels(), e.value());
            } else if (e.kind() == EventKind.NOTICE) {
                notices.add(e.notice());
            }
        };
        ring = new EventRing(1 << 14, capture);
        discovery = new DiscoverySource(new ProcDiscovery(Path.of("/proc")), ring);
        libvirt = new LibvirtSource(Libvirtd.URI, this::myVms, ring, new KvmStatSeries());
        discovery.lookUpTenantsWith(libvirt);
    }

    @AfterEach
    void stopAgentParts() {
        if (libvirt != null) {
            libvirt.close();
        }
        if (ring != null) {
            ring.close();
        }
    }

    private List<WatchedVm> myVms() {
        return discovery.watched().stream().filter(w -> mine.contains(w.vm().uuid())).toList();
    }

    private LibvirtGuest start(LibvirtGuest.Builder builder) throws Exception {
        LibvirtGuest guest = builder.start();
        mine.add(guest.uuid().toString());
        guest.awaitVcpuThreads(STARTUP);
        return guest;
    }

    /** One round as the sampler runs it: discovery, then libvirt; returns libvirt's failure, or null. */
    private Exception round() {
        long now = nanos(Instant.now());
        try {
            discovery.sample(now);
        } catch (Exception discoveryDownThisRound) {
            // another test's QEMU exiting mid-scan: the VMs of the previous round stay watched
        }
        try {
            libvirt.sample(now);
            return null;
        } catch (Exception e) {
            return e;
        }
    }

    private double awaitSample(String key, double atLeast) {
        return Awaitility.await(key + " >= " + atLeast).atMost(30, TimeUnit.SECONDS)
                .pollInterval(Duration.ofMillis(200)).until(() -> {
                    round();
                    return latest.getOrDefault(key, -1.0);
                }, v -> v >= atLeast);
    }

    private void awaitNotice(String type, int rounds) {
        for (int i = 0; i < rounds; i++) {
            round();
            if (notices.stream().anyMatch(n -> n.type().equals(type))) {
                return;
            }
            pause(Duration.ofMillis(500));
        }
        throw new AssertionError("no " + type + " notice within " + rounds + " rounds; got " + notices);
    }

    @Test
    void kvmStatisticsAgreeWithVirshDomstatsAndDevicesAreSeries() throws Exception {
        LibvirtGuest io = start(LibvirtGuest.builder().name(prefix + "io").program(GuestProgram.IO_STORM));
        String vm = io.name();
        awaitSample(vm + "/0/hvwatch_kvm_exits_total{}", 1000);

        // Counters only grow: virsh before and after a round brackets what that round read. A round's statistics are
        // published by the round after it.
        String exits = vm + "/0/hvwatch_kvm_exits_total{}";
        Map<String, Double> before = domstats(io);
        double previous = latest.get(exits);
        round();
        Awaitility.await("the round's statistics are published").atMost(30, TimeUnit.SECONDS)
                .pollInterval(Duration.ofMillis(50)).until(() -> {
                    round();
                    return latest.get(exits) > previous;
                });
        Map<String, Double> after = domstats(io);
        double ours = latest.get(exits);
        assertThat(ours).as("exits: virsh %s before, hvwatch %s, virsh %s after", before.get("vcpu.0.exits.sum"), ours,
                after.get("vcpu.0.exits.sum")).isBetween(before.get("vcpu.0.exits.sum") * 0.95,
                after.get("vcpu.0.exits.sum") * 1.05);
        assertThat(latest.get(vm + "/0/hvwatch_kvm_io_exits_total{}")).as("io_exits agree with virsh")
                .isBetween(before.get("vcpu.0.io_exits.sum") * 0.95, after.get("vcpu.0.io_exits.sum") * 1.05);
        assertThat(latest).containsKey(vm + "/-1/hvwatch_kvm_pages_4k{}")
                .containsKey(vm + "/0/hvwatch_kvm_halt_poll_success_seconds_total{}")
                .containsKey(vm + "/0/hvwatch_kvm_guest_mode{}")
                .containsKey(vm + "/-1/hvwatch_vm_block_read_requests_total{device=hda}")
                .containsKey(vm + "/-1/hvwatch_vm_block_capacity_bytes{device=hda}")
                .containsKey(vm + "/-1/hvwatch_vm_balloon_current_bytes{}")
                .containsKey(vm + "/-1/hvwatch_vm_cpu_usage_seconds_total{}");
        assertThat(latest.get(vm + "/-1/hvwatch_vm_state{}")).as("running").isEqualTo(1);
        assertThat(latest.get(vm + "/-1/hvwatch_vm_balloon_current_bytes{}")).isEqualTo(32 * 1024 * 1024);
        assertThat(latest.get(vm + "/-1/hvwatch_vm_block_capacity_bytes{device=hda}")).isEqualTo(512);
        assertThat(libvirt.errors()).as("every field of a real record is understood").isZero();
        assertThat(myVms().get(0).vm().manager()).isEqualTo(Vm.LIBVIRT);
    }

    @Test
    void novaMetadataBecomesTheTenantAndAChangeIsNoticed() throws Exception {
        LibvirtGuest guest = start(LibvirtGuest.builder().name(prefix + "nova").program(GuestProgram.IDLE)
                .title("billing database").nova(new LibvirtGuest.Nova("billing-db-1", "billing",
                        "1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f", "alice", "8f2b4a1e6c1d4f0e9b2a3c4d5e6f7a8b", "m1.small")));
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> {
            round();
            return !myVms().isEmpty();
        });
        Vm vm = myVms().get(0).vm();
        assertThat(vm.tenant()).as("read when discovery found the VM, before it was announced")
                .isEqualTo(new Tenant("billing-db-1", "billing", "1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f", "alice",
                        "8f2b4a1e6c1d4f0e9b2a3c4d5e6f7a8b", "m1.small", "billing database"));

        guest.virsh("desc", "--live", "--title", "--new-desc", "billing primary");
        awaitNotice(VmLifecycle.CONFIG_CHANGED, 10);
        assertThat(notices.stream().filter(n -> n.type().equals(VmLifecycle.CONFIG_CHANGED)).findFirst().orElseThrow()
                .facts()).containsEntry("change", "metadata").containsEntry("domain", guest.name());
        assertThat(vm.tenant().title()).isEqualTo("billing primary");
        assertThat(vm.tenant().instanceName()).isEqualTo("billing-db-1");
    }

    @Test
    void suspendResumeAndDestroyBecomeLifecycleNoticesWithinTwoRounds() throws Exception {
        LibvirtGuest guest = start(LibvirtGuest.builder().name(prefix + "life").program(GuestProgram.IDLE));
        awaitSample(guest.name() + "/-1/hvwatch_vm_state{}", 1);

        guest.virsh("suspend");
        awaitNotice(VmLifecycle.PAUSED, 2);
        guest.virsh("resume");
        awaitNotice(VmLifecycle.RESUMED, 2);
        guest.virsh("destroy");
        awaitNotice(VmLifecycle.STOPPED, 2);

        assertThat(notices).extracting(Notice::type).containsSubsequence(VmLifecycle.PAUSED, VmLifecycle.RESUMED,
                VmLifecycle.STOPPED);
        Notice stopped = notices.stream().filter(n -> n.type().equals(VmLifecycle.STOPPED)).findFirst().orElseThrow();
        assertThat(stopped.facts()).containsEntry("reason", "destroyed").containsEntry("via", "libvirt");
        assertThat(stopped.message()).contains(guest.name());
    }

    @Test
    void aKilledLibvirtdMakesTheSourceDownAndARestartedOneBringsItBack() throws Exception {
        LibvirtGuest guest = start(LibvirtGuest.builder().name(prefix + "kill").program(GuestProgram.IO_STORM));
        String key = guest.name() + "/0/hvwatch_kvm_exits_total{}";
        awaitSample(key, 1);
        assertThat(libvirt.connected()).isTrue();

        try {
            Libvirtd.kill();
            Exception down = Awaitility.await("the source goes down").atMost(30, TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(200)).until(this::round, e -> e != null);
            assertThat(down.getMessage()).as("one line saying why").doesNotContain("\n")
                    .containsAnyOf("libvirt", "connect");
            assertThat(libvirt.connected()).isFalse();
            assertThatThrownBy(() -> libvirt.sample(nanos(Instant.now()))).hasMessageContaining("libvirt");
        } finally {
            Libvirtd.start();
        }
        double before = latest.get(key);
        Awaitility.await("reconnected, with statistics again").atMost(60, TimeUnit.SECONDS)
                .pollInterval(Duration.ofMillis(500)).until(() -> round() == null && latest.get(key) > before);
        assertThat(libvirt.connected()).isTrue();
    }

    /** {@code virsh domstats --vm --vcpu}, as name to number (non-numbers left out). */
    private static Map<String, Double> domstats(LibvirtGuest guest) {
        String out = HostCommand.check(Duration.ofSeconds(30), "virsh", "-c", Libvirtd.URI, "domstats", "--vm",
                "--vcpu", guest.name());
        Map<String, Double> stats = new HashMap<>();
        for (String line : out.lines().map(String::strip).toList()) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                try {
                    stats.put(line.substring(0, eq), Double.parseDouble(line.substring(eq + 1)));
                } catch (NumberFormatException notANumber) {
                    // yes/no booleans and names
                }
            }
        }
        return stats;
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
