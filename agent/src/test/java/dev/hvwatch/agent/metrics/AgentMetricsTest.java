package dev.hvwatch.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.rules.FiringAlert;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentMetricsTest {
    @Test
    void firingAlertsAreServedByRuleSeverityAndVmAndLeaveWhenResolved() {
        AgentMetrics metrics = new AgentMetrics();
        metrics.alertsFiring(Map.of(new FiringAlert("vcpu-starvation", "high", "web"), 2,
                new FiringAlert("kvm-error", "high", ""), 1));
        assertThat(metrics.scrape())
                .contains("hvwatch_alerts_firing{rule=\"vcpu-starvation\",severity=\"high\",vm=\"web\"} 2")
                .contains("hvwatch_alerts_firing{rule=\"kvm-error\",severity=\"high\",vm=\"\"} 1");

        metrics.alertsFiring(Map.of(new FiringAlert("kvm-error", "high", ""), 1));
        assertThat(metrics.scrape()).doesNotContain("vcpu-starvation")
                .contains("hvwatch_alerts_firing{rule=\"kvm-error\",severity=\"high\",vm=\"\"} 1");
    }
}
