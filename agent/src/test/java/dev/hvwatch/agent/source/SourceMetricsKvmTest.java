package dev.hvwatch.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.metrics.AgentMetrics;
import dev.hvwatch.agent.metrics.VmMetrics;
import dev.hvwatch.agent.source.perf.PerfCounterSource;
import dev.hvwatch.agent.source.tracepoint.ExitTracepointSource;
import dev.hvwatch.agent.source.tracepoint.Isa;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The two perf-based sources as the agent wires them (public constructors, all of discovery's VMs), through the
 * agent's metrics consumer: the Prometheus names the metrics contract promises, and their removal with the VM.
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
class SourceMetricsKvmTest {

    @Test
    void exitAndPerfSeriesAppearUnderTheirContractNamesAndLeaveWithTheVm() throws Exception {
        RealKvm.require();
        Path tracefs = Path.of("/sys/kernel/tracing");
        RealKvm.requireHost(Files.isDirectory(tracefs.resolve("events/kvm")), "tracefs with kvm events at " + tracefs);
        AgentMetrics metrics = new AgentMetrics();
        String name = "metrics-io-" + ProcessHandle.current().pid();
        QemuGuest guest = QemuGuest.builder().name(name).program(GuestProgram.IO_STORM).start();
        guest.awaitVcpuThreads(Duration.ofSeconds(30));
        try (SourceRig rig = new SourceRig(new VmMetrics(metrics.registry()));
             ExitTracepointSource exits = new ExitTracepointSource(tracefs, Isa.detect(Path.of("/sys/module")),
                     rig.discovery, rig.ring);
             PerfCounterSource perf = new PerfCounterSource(rig.discovery, rig.ring)) {
            String vm = "vm=\"" + name + "\"";
            Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                rig.round(exits, perf);
                assertThat(metrics.scrape())
                        .containsPattern("hvwatch_kvm_tracepoint_events_total\\{tracepoint=\"kvm_pio\"," + vm
                                + "} [1-9]")
                        .containsPattern("hvwatch_vcpu_task_clock_seconds_total\\{vcpu=\"0\"," + vm + "} [0-9]")
                        .containsPattern("hvwatch_vcpu_context_switches_total\\{vcpu=\"0\"," + vm + "}");
            });

            guest.close();
            rig.round(exits, perf);
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(metrics.scrape()).doesNotContain(vm));
        }
    }
}
