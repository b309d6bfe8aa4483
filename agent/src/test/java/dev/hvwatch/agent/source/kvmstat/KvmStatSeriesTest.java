package dev.hvwatch.agent.source.kvmstat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.vm.Vm;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KvmStatSeriesTest {
    private static final Vm VM = new Vm(42, 1, "web", "", 2, Optional.empty(), true, List.of());
    private static final KvmMetric EXITS = KvmMetric.of(new StatDescriptor("exits", StatType.CUMULATIVE,
            StatUnit.NONE, 10, 0)).orElseThrow();

    @Test
    void theFirstSourceToClaimAVmKeepsIt() {
        KvmStatSeries series = new KvmStatSeries();

        assertThat(series.claim(VM, "qmp")).isTrue();
        assertThat(series.claim(VM, "debugfs")).isFalse();
        assertThat(series.claim(VM, "qmp")).isTrue();
        assertThat(series.fedBy(VM, "qmp")).isTrue();
        assertThat(series.fedBy(VM, "debugfs")).isFalse();
    }

    @Test
    void aSeriesIsCreatedOncePerVmVcpuAndMetric() {
        KvmStatSeries series = new KvmStatSeries();
        series.claim(VM, "qmp");
        KvmMetric sameMetricAgain = KvmMetric.of(new StatDescriptor("exits", StatType.CUMULATIVE, StatUnit.NONE,
                10, 0)).orElseThrow();

        Series vcpu0 = series.series(VM, 0, EXITS);

        assertThat(series.series(VM, 0, sameMetricAgain)).isSameAs(vcpu0);
        assertThat(series.series(VM, 1, EXITS)).isNotSameAs(vcpu0);
        assertThat(series.series(VM, -1, EXITS)).isNotSameAs(vcpu0);
        assertThat(vcpu0.name()).isEqualTo("hvwatch.kvm.exits");
        assertThat(vcpu0.cumulative()).isTrue();
        assertThat(vcpu0.labels()).isEmpty();
    }

    @Test
    void aStoppedVmIsForgottenSoItsSuccessorIsClaimedAfresh() {
        KvmStatSeries series = new KvmStatSeries();
        series.claim(VM, "qmp");

        series.retain(List.of());

        assertThat(series.fedBy(VM, "qmp")).isFalse();
        assertThat(series.claim(VM, "debugfs")).isTrue();
    }
}
