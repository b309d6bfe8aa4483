package dev.hvwatch.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.vm.Tenancy;
import dev.hvwatch.agent.vm.Tenant;
import dev.hvwatch.agent.vm.Vm;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class VmMetricsTest {
    private static final Vm VM = new Vm(77, 1, "web", "u-1", 1, Optional.empty(), true, List.of());

    @Test
    void samplesBecomeSeriesWithTheirLabelsAndLeaveWithTheVm() {
        AgentMetrics metrics = new AgentMetrics();
        Series exits = new Series("hvwatch.vm.exits", "VM exits by reason", null, true, Map.of("reason", "io"));
        Series halt = new Series("hvwatch.kvm.halt.poll.ns", "Halt polling", "seconds", false, Map.of());
        try (EventRing ring = new EventRing(16, new VmMetrics(metrics.registry()))) {
            ring.publishVmLifecycle(EventKind.VM_STARTED, 1, VM);
            ring.publishSample(2, VM, 0, exits, 41);
            ring.publishSample(3, VM, 0, exits, 42);
            ring.publishSample(3, VM, -1, halt, 0.25);
            ring.publishSample(3, null, -1, new Series("hvwatch.iommu.faults", "IOMMU faults", null, true,
                    Map.of("device", "3b:00.0", "reason", "0x06")), 2);
            Awaitility.await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(metrics.scrape())
                    .contains("hvwatch_vm_exits_total{reason=\"io\",vcpu=\"0\",vm=\"web\"} 42.0")
                    .contains("hvwatch_kvm_halt_poll_ns_seconds{vm=\"web\"} 0.25")
                    .contains("hvwatch_vm_info{flavor=\"\",instance_name=\"\",manager=\"qemu\",pid=\"77\",project=\"\","
                            + "project_id=\"\",source=\"proc\",user=\"\",uuid=\"u-1\",vm=\"web\"} 1")
                    .contains("hvwatch_iommu_faults_total{device=\"3b:00.0\",reason=\"0x06\"} 2.0"));

            ring.publishVmLifecycle(EventKind.VM_STOPPED, 4, VM);
            Awaitility.await().atMost(5, TimeUnit.SECONDS)
                    .untilAsserted(() -> assertThat(metrics.scrape()).doesNotContain("vm=\"web\"")
                            .contains("hvwatch_iommu_faults_total"));
        }
    }

    @Test
    void withoutPerVcpuSeriesVcpusAreSummedAndOnlyAllowedKvmStatisticsAreShown() {
        AgentMetrics metrics = new AgentMetrics();
        Series exits0 = new Series("hvwatch.kvm.exits", "KVM statistic exits", null, true, Map.of());
        Series exits1 = new Series("hvwatch.kvm.exits", "KVM statistic exits", null, true, Map.of());
        Series poll = new Series("hvwatch.kvm.halt_poll_success", "KVM statistic halt_poll_success_ns", "seconds",
                true, Map.of());
        Series reason0 = new Series("hvwatch.vm.exits", "VM exits by reason", null, true, Map.of("reason", "io"));
        Series reason1 = new Series("hvwatch.vm.exits", "VM exits by reason", null, true, Map.of("reason", "io"));
        Vm twoVcpus = new Vm(78, 1, "db", "", 2, Optional.empty(), true, List.of());
        Shown shown = new Shown(false, true, List.of("exits", "halt_wait_ns"));
        try (EventRing ring = new EventRing(64, new VmMetrics(metrics.registry(), 2, shown))) {
            ring.publishSample(1, twoVcpus, 0, exits0, 10);
            ring.publishSample(1, twoVcpus, 1, exits1, 5);
            ring.publishSample(1, twoVcpus, 0, poll, 2.5);
            ring.publishSample(1, twoVcpus, 0, reason0, 3);
            ring.publishSample(1, twoVcpus, 1, reason1, 4);
            ring.publishSchedstat(1, twoVcpus, 0, 100, 2_000_000_000L, 500_000_000L, 1, true);
            ring.publishSchedstat(1, twoVcpus, 1, 101, 1_000_000_000L, 250_000_000L, 1, true);
            ring.publishSample(2, twoVcpus, 1, exits1, 7);
            Awaitility.await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(metrics.scrape())
                    .contains("hvwatch_kvm_exits_total{vm=\"db\"} 17.0")
                    .contains("hvwatch_vm_exits_total{reason=\"io\",vm=\"db\"} 7.0")
                    .contains("hvwatch_vcpu_run_seconds_total{vm=\"db\"} 3.0")
                    .contains("hvwatch_vcpu_wait_seconds_total{vm=\"db\"} 0.75")
                    .doesNotContain("vcpu=\"")
                    .doesNotContain("halt_poll"));
        }
    }

    @Test
    void withoutPerDeviceSeriesDisksAreSummedPerVm() {
        AgentMetrics metrics = new AgentMetrics();
        Series hda = new Series("hvwatch.vm.block.read", "Bytes read", "bytes", true, Map.of("device", "hda"));
        Series hdb = new Series("hvwatch.vm.block.read", "Bytes read", "bytes", true, Map.of("device", "hdb"));
        Shown shown = new Shown(true, false, List.of());
        try (EventRing ring = new EventRing(64, new VmMetrics(metrics.registry(), 2, shown))) {
            ring.publishSample(1, VM, -1, hda, 4096);
            ring.publishSample(1, VM, -1, hdb, 512);
            ring.publishSample(2, VM, -1, hda, 8192);
            Awaitility.await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(metrics.scrape())
                    .contains("hvwatch_vm_block_read_bytes_total{vm=\"web\"} 8704.0")
                    .doesNotContain("device="));
        }
    }

    @Test
    void theInfoSeriesCarriesTheTenantAndFollowsItsChanges() {
        AgentMetrics metrics = new AgentMetrics();
        Vm vm = new Vm(79, 1, "instance-0000a1f3", "u-2", 1, Optional.empty(), true, List.of(), Vm.LIBVIRT,
                new Tenancy());
        vm.tenancy().set(new Tenant("billing-db-1", "billing", "p-1", "alice", "u-9", "m1.small", null));
        try (EventRing ring = new EventRing(64, new VmMetrics(metrics.registry()))) {
            ring.publishVmLifecycle(EventKind.VM_STARTED, 1, vm);
            Awaitility.await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(metrics.scrape())
                    .contains("hvwatch_vm_info{flavor=\"m1.small\",instance_name=\"billing-db-1\",manager=\"libvirt\","
                            + "pid=\"79\",project=\"billing\",project_id=\"p-1\",source=\"proc\",user=\"alice\","
                            + "uuid=\"u-2\",vm=\"instance-0000a1f3\"} 1"));

            vm.tenancy().set(new Tenant("billing-db-2", "billing", "p-1", "alice", "u-9", "m1.large", null));
            ring.publishTick(2);
            Awaitility.await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(metrics.scrape())
                    .contains("instance_name=\"billing-db-2\"").doesNotContain("billing-db-1")
                    .contains("flavor=\"m1.large\""));
        }
    }

    @Test
    void aKvmStatisticIsAllowedByItsKernelNameWhateverItsUnit() {
        Shown shown = new Shown(true, true, List.of("halt_poll_success_ns"));
        assertThat(shown.kvmStat("hvwatch.kvm.halt_poll_success")).isTrue();
        assertThat(shown.kvmStat("hvwatch.kvm.halt_poll_fail")).isFalse();
        assertThat(shown.kvmStat("hvwatch.vm.exits")).as("not a KVM statistic").isTrue();
        assertThat(shown.kvmStat("hvwatch.kvm.tracepoint.events")).as("not a KVM statistic").isTrue();
        assertThat(Shown.ALL.kvmStat("hvwatch.kvm.halt_poll_fail")).isTrue();
    }
}
