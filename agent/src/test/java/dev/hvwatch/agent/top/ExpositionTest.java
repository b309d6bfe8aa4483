package dev.hvwatch.agent.top;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.metrics.AgentMetrics;
import dev.hvwatch.agent.rules.FiringAlert;
import dev.hvwatch.agent.top.Exposition.ExpositionException;
import dev.hvwatch.agent.top.Exposition.Sample;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExpositionTest {
    @Test
    void readsWhatTheAgentServes() {
        AgentMetrics metrics = new AgentMetrics();
        metrics.alerts("vcpu-starvation", "high").increment();
        metrics.alertsFiring(Map.of(new FiringAlert("kvm-error", "high", "db \"primary\"\\1"), 1));
        List<Sample> samples = Exposition.parse(metrics.scrape());
        assertThat(samples).contains(
                new Sample("hvwatch_alerts_total", Map.of("rule", "vcpu-starvation", "severity", "high"), 1),
                new Sample("hvwatch_alerts_firing", Map.of("rule", "kvm-error", "severity", "high",
                        "vm", "db \"primary\"\\1"), 1));
    }

    @Test
    void readsLabelsEscapesSpecialValuesAndTimestamps() {
        List<Sample> samples = Exposition.parse("""
                # HELP x help text
                # TYPE x gauge
                x 1.5
                y{a="1",b="two words, with \\"quotes\\"\\nand a line",} +Inf 1700000000000
                z{} NaN
                  w{vm=""}\t-2e3
                """);
        assertThat(samples).hasSize(4);
        assertThat(samples.get(0)).isEqualTo(new Sample("x", Map.of(), 1.5));
        assertThat(samples.get(1).labels()).containsEntry("a", "1")
                .containsEntry("b", "two words, with \"quotes\"\nand a line");
        assertThat(samples.get(1).value()).isInfinite();
        assertThat(samples.get(2).value()).isNaN();
        assertThat(samples.get(3)).isEqualTo(new Sample("w", Map.of("vm", ""), -2000));
        assertThat(samples.get(3).label("missing")).isEmpty();
    }

    @Test
    void aLineThatIsNotASampleIsAnErrorNamingIt() {
        assertThatThrownBy(() -> Exposition.parse("ok 1\nbad{vm=\"x} 1\n"))
                .isInstanceOf(ExpositionException.class).hasMessageStartingWith("line 2, column")
                .hasMessageContaining("label value not closed").hasMessageEndingWith("bad{vm=\"x} 1");
        assertThatThrownBy(() -> Exposition.parse("x{vm=\"a\" b=\"c\"} 1"))
                .hasMessageContaining("',' or '}' expected after the value of label vm");
        assertThatThrownBy(() -> Exposition.parse("x one")).hasMessageContaining("'one' is not a number");
        assertThatThrownBy(() -> Exposition.parse("x")).hasMessageContaining("a space and a value expected after x");
        assertThatThrownBy(() -> Exposition.parse("x{a=\"\\t\"} 1")).hasMessageContaining("unknown escape \\t");
        assertThatThrownBy(() -> Exposition.parse("x 1 2 3")).hasMessageContaining("more than a value");
        assertThatThrownBy(() -> Exposition.parse("9x 1")).hasMessageContaining("a metric or label name expected");
    }
}
