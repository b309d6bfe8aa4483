package dev.hvwatch.agent.source.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The agent's discovery on this host, following the kernel's process events: a real QEMU/KVM guest started after
 * the first round (which lists /proc) is found with its vCPU threads, and its end noticed, from the events alone,
 * in fewer rounds than the next full listing would take.
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
class ProcessEventsDiscoveryKvmTest {

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aGuestIsFoundAndItsEndNoticedFromTheKernelsReports() throws Exception {
        RealKvm.require();
        ProcDiscovery discovery = ProcDiscovery.ofHost(Path.of("/proc"));
        try {
            assertThat(discovery.followsProcessEvents()).as("this host's kernel sends them to the test")
                    .isEqualTo(ProcConnectorEventsTest.receivesProcessEvents());
            discovery.scan();
            AtomicInteger rounds = new AtomicInteger();
            try (QemuGuest guest = QemuGuest.builder().name("followed").program(GuestProgram.IDLE).vcpus(2).start()) {
                guest.awaitVcpuThreads(Duration.ofSeconds(30));
                Awaitility.await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> {
                    rounds.incrementAndGet();
                    discovery.scan();
                    WatchedVm w = discovery.watched().get(guest.pid());
                    return w != null && w.vcpuThreads().equals(guest.vcpuThreadIds());
                });
                assertThat(rounds.get()).as("found by events, not the full listing").isLessThan(
                        ProcDiscovery.FULL_SCAN_EVERY);
                rounds.set(0);
                long pid = guest.pid();
                guest.close();
                Awaitility.await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100)).until(() -> {
                    rounds.incrementAndGet();
                    return discovery.scan().stopped().stream().anyMatch(w -> w.vm().pid() == pid);
                });
                assertThat(rounds.get()).isLessThan(ProcDiscovery.FULL_SCAN_EVERY);
            }
        } finally {
            discovery.close();
        }
    }
}
