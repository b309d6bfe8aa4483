package dev.hvwatch.agent.source.kvmstat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.metrics.AgentMetrics;
import dev.hvwatch.agent.metrics.VmMetrics;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.vm.Vm;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The naming rule of KVM statistics, a contract with dashboards: each example of its documentation. */
class KvmMetricTest {
    private static final Vm VM = new Vm(42, 1, "web", "", 1, Optional.empty(), true, List.of());

    private static KvmMetric metric(String name, StatType type, StatUnit unit, int base, int exponent) {
        return KvmMetric.of(new StatDescriptor(name, type, unit, base, exponent)).orElseThrow();
    }

    @Test
    void cumulativeCountsAreCountersNamedAfterTheStatistic() {
        KvmMetric exits = metric("exits", StatType.CUMULATIVE, StatUnit.NONE, 10, 0);

        assertThat(exits.name()).isEqualTo("hvwatch.kvm.exits");
        assertThat(exits.cumulative()).isTrue();
        assertThat(exits.baseUnit()).isNull();
        assertThat(exits.scale()).isEqualTo(1.0);
        assertThat(exits.help()).isEqualTo("KVM statistic exits (cumulative)");
    }

    @Test
    void nanosecondsBecomeSecondsAndTheNameLosesItsScaleWord() {
        KvmMetric poll = metric("halt_poll_success_ns", StatType.CUMULATIVE, StatUnit.SECONDS, 10, -9);

        assertThat(poll.name()).isEqualTo("hvwatch.kvm.halt_poll_success");
        assertThat(poll.baseUnit()).isEqualTo("seconds");
        assertThat(poll.scale()).isEqualTo(1e-9);
        assertThat(poll.cumulative()).isTrue();
    }

    @Test
    void aTimeWithoutAScaleWordKeepsItsNameAndGainsTheUnit() {
        KvmMetric steal = metric("steal_time", StatType.CUMULATIVE, StatUnit.SECONDS, 10, -9);

        assertThat(steal.name()).isEqualTo("hvwatch.kvm.steal_time");
        assertThat(steal.baseUnit()).isEqualTo("seconds");
    }

    @Test
    void bytesInPowersOfTwoAreScaledToBytes() {
        KvmMetric kib = metric("cache_bytes", StatType.INSTANT, StatUnit.BYTES, 2, 10);

        assertThat(kib.name()).isEqualTo("hvwatch.kvm.cache");
        assertThat(kib.baseUnit()).isEqualTo("bytes");
        assertThat(kib.scale()).isEqualTo(1024.0);
        assertThat(kib.cumulative()).isFalse();
    }

    @Test
    void instantPeakAndBooleanStatisticsAreGauges() {
        assertThat(metric("pages_4k", StatType.INSTANT, StatUnit.NONE, 10, 0).cumulative()).isFalse();
        assertThat(metric("max_mmu_rmap_size", StatType.PEAK, StatUnit.NONE, 10, 0).cumulative()).isFalse();
        KvmMetric guestMode = metric("guest_mode", StatType.INSTANT, StatUnit.BOOLEAN, 10, 0);
        assertThat(guestMode.cumulative()).isFalse();
        assertThat(guestMode.baseUnit()).isNull();
        assertThat(guestMode.help()).isEqualTo("KVM statistic guest_mode (current value, 0 or 1)");
    }

    @Test
    void histogramsAreNotExported() {
        assertThat(KvmMetric.of(new StatDescriptor("halt_wait_hist", StatType.LOG2_HISTOGRAM, StatUnit.SECONDS,
                10, -9))).isEmpty();
        assertThat(KvmMetric.of(new StatDescriptor("x_hist", StatType.LINEAR_HISTOGRAM, StatUnit.NONE, 10, 0)))
                .isEmpty();
    }

    @Test
    void namesAreLowerCaseIdentifiersWhateverTheKernelSpells() {
        assertThat(metric("num_2M_pages", StatType.INSTANT, StatUnit.NONE, 10, 0).name())
                .isEqualTo("hvwatch.kvm.num_2m_pages");
    }

    @Test
    void prometheusSeesTheNamesTheContractPromises() {
        AgentMetrics metrics = new AgentMetrics();
        KvmStatSeries series = new KvmStatSeries();
        series.claim(VM, "test");
        try (EventRing ring = new EventRing(64, new VmMetrics(metrics.registry()))) {
            ring.publishVmLifecycle(EventKind.VM_STARTED, 1, VM);
            publish(ring, series, 0, metric("exits", StatType.CUMULATIVE, StatUnit.NONE, 10, 0), 1234);
            publish(ring, series, 0, metric("io_exits", StatType.CUMULATIVE, StatUnit.NONE, 10, 0), 77);
            publish(ring, series, 0, metric("halt_poll_success_ns", StatType.CUMULATIVE, StatUnit.SECONDS, 10, -9),
                    2_500_000_000L);
            publish(ring, series, 0, metric("guest_mode", StatType.INSTANT, StatUnit.BOOLEAN, 10, 0), 1);
            publish(ring, series, -1, metric("pages_4k", StatType.INSTANT, StatUnit.NONE, 10, 0), 8192);
            publish(ring, series, -1, metric("max_mmu_rmap_size", StatType.PEAK, StatUnit.NONE, 10, 0), 3);
            publish(ring, series, -1, metric("remote_tlb_flush", StatType.CUMULATIVE, StatUnit.NONE, 10, 0), 5);

            Awaitility.await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> assertThat(metrics.scrape())
                    .contains("hvwatch_kvm_exits_total{vcpu=\"0\",vm=\"web\"} 1234.0")
                    .contains("hvwatch_kvm_io_exits_total{vcpu=\"0\",vm=\"web\"} 77.0")
                    .contains("hvwatch_kvm_halt_poll_success_seconds_total{vcpu=\"0\",vm=\"web\"} 2.5")
                    .contains("# TYPE hvwatch_kvm_guest_mode gauge")
                    .contains("hvwatch_kvm_guest_mode{vcpu=\"0\",vm=\"web\"} 1.0")
                    .contains("hvwatch_kvm_pages_4k{vm=\"web\"} 8192.0")
                    .contains("# TYPE hvwatch_kvm_max_mmu_rmap_size gauge")
                    .contains("hvwatch_kvm_remote_tlb_flush_total{vm=\"web\"} 5.0"));
        }
    }

    private static void publish(EventRing ring, KvmStatSeries series, int vcpu, KvmMetric metric, double raw) {
        ring.publishSample(2, VM, vcpu, series.series(VM, vcpu, metric), raw * metric.scale());
    }
}
