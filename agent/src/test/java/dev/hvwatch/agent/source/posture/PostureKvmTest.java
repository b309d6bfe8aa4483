package dev.hvwatch.agent.source.posture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.posture.check.DefaultChecks;
import dev.hvwatch.testkit.FreePort;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The posture checks on this host, with real QEMU guests found by discovery in the real /proc: a guest whose QMP
 * monitor listens on TCP on all addresses, one emulated by TCG, and a well-configured one. Only this test's guests
 * are judged, so that other tests' guests on the machine change nothing.
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostureKvmTest {
    private static final Duration STARTUP = Duration.ofSeconds(30);
    private static final HostView.Roots THIS_HOST = new HostView.Roots(Path.of("/proc"), Path.of("/sys"),
            Path.of("/sys/fs/cgroup"), Path.of("/run/libvirt/qemu"));

    private final Set<Long> mine = ConcurrentHashMap.newKeySet();
    private final ProcDiscovery discovery = new ProcDiscovery(Path.of("/proc"));

    private QemuGuest start(QemuGuest.Builder builder) throws Exception {
        QemuGuest guest = builder.program(GuestProgram.IDLE).start();
        mine.add(guest.pid());
        guest.awaitVcpuThreads(STARTUP);
        return guest;
    }

    /** Discovery rounds until every guest of this test is watched (a QEMU is called emulated only once settled). */
    private List<WatchedVm> discoverMine() {
        Awaitility.await().atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> {
            try {
                discovery.scan();
            } catch (IOException anotherTestsQemuExitedMidScan) {
                return false;
            }
            return myVms().size() == mine.size();
        });
        return myVms();
    }

    private List<WatchedVm> myVms() {
        return discovery.watched().values().stream().filter(w -> mine.contains(w.vm().pid())).toList();
    }

    private static Outcome outcome(List<Outcome> outcomes, String check, String vm) {
        return outcomes.stream().filter(o -> o.check().equals(check) && o.vm() != null && o.vm().name().equals(vm))
                .findFirst().orElseThrow(() -> new AssertionError("no " + check + " outcome for VM " + vm));
    }


    @Test
    void aQmpMonitorOnAllAddressesAndATcgGuestAreFlaggedAndAWellConfiguredGuestIsNot() throws Exception {
        RealKvm.require();
        int port = FreePort.find();
        start(QemuGuest.builder().name("posture-exposed")
                .extraArgs(List.of("-qmp", "tcp:0.0.0.0:" + port + ",server=on,wait=off")));
        start(QemuGuest.builder().name("posture-emulated").accelerator("tcg"));
        start(QemuGuest.builder().name("posture-good").qmpSocket(true));
        List<WatchedVm> vms = discoverMine();

        PostureSource source = new PostureSource(THIS_HOST, () -> vms, null,
                DefaultChecks.of(AgentConfig.defaults().posture()), Duration.ofMinutes(1));
        List<Outcome> outcomes = source.runChecks(new HostView(THIS_HOST, vms));

        Outcome exposed = outcome(outcomes, "management-exposure", "posture-exposed");
        assertThat(exposed.passed()).isFalse();
        assertThat(exposed.evidence()).containsEntry("listeners", "0.0.0.0:" + port);
        assertThat(outcome(outcomes, "hw-virt", "posture-exposed").passed()).isTrue();

        Outcome emulated = outcome(outcomes, "hw-virt", "posture-emulated");
        assertThat(emulated.passed()).isFalse();
        assertThat(emulated.evidence()).containsEntry("accelerator", "tcg");
        assertThat(outcome(outcomes, "management-exposure", "posture-emulated").passed()).isTrue();

        assertThat(outcome(outcomes, "hw-virt", "posture-good").passed()).isTrue();
        assertThat(outcome(outcomes, "management-exposure", "posture-good").passed()).isTrue();
        assertThat(outcomes).as("every VM check judged the well-configured guest").filteredOn(o -> o.vm() != null
                        && o.vm().name().equals("posture-good")).extracting(Outcome::check)
                .contains("guest-swap", "vcpus-beyond-host", "cpu-limits", "qemu-root", "seccomp", "legacy-devices",
                        "mac-label", "io-limits", "config-change");
        assertThat(source.errors()).as("this host's files all parse").isZero();
    }
}
