package dev.hvwatch.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.vm.Vm;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InterferenceMetricsTest {
    private static final Vm WEB = new Vm(10, 1, "web", "u-1", 1, Optional.empty(), true, List.of());
    private static final Vm HOG = new Vm(20, 1, "hog", "u-2", 1, Optional.empty(), true, List.of());
    private static final Vm DB = new Vm(30, 1, "db", "u-3", 1, Optional.empty(), true, List.of());

    /** Each pair is one counter, summed across intervals; a VM that stops takes every pair it is part of with it. */
    @Test
    void pairsAccumulateAndLeaveWithEitherVm() {
        AgentMetrics metrics = new AgentMetrics();
        InterferenceMetrics interference = new InterferenceMetrics(metrics.registry());
        interference.add(WEB, HOG, 1.5);
        interference.add(WEB, HOG, 2.25);
        interference.add(DB, HOG, 0.5);
        interference.add(HOG, DB, 0.125);
        assertThat(metrics.scrape())
                .contains("hvwatch_vm_cpu_interference_seconds_total{antagonist=\"hog\",vm=\"web\"} 3.75")
                .contains("hvwatch_vm_cpu_interference_seconds_total{antagonist=\"hog\",vm=\"db\"} 0.5")
                .contains("hvwatch_vm_cpu_interference_seconds_total{antagonist=\"db\",vm=\"hog\"} 0.125");

        interference.forget(DB);
        assertThat(metrics.scrape())
                .contains("hvwatch_vm_cpu_interference_seconds_total{antagonist=\"hog\",vm=\"web\"} 3.75")
                .doesNotContain("vm=\"db\"").doesNotContain("antagonist=\"db\"");
    }
}
