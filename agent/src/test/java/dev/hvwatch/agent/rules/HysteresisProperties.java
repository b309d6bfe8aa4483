package dev.hvwatch.agent.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** For any input, a rule with a fire and a lower resolve threshold alternates cleanly and never flaps between them. */
class HysteresisProperties {
    private static final long SECOND = 1_000_000_000L;
    private static final Series X = new Series("hvwatch.x", "x", null, false, Map.of());

    private static RulePack pack(int forSeconds) throws Exception {
        return RulePack.fromTexts(Map.of("p.yaml", """
                rules:
                  - id: x-high
                    title: x high
                    category: agent
                    severity: low
                    scope: host
                    condition: hvwatch_x >= 0.8
                    resolve: hvwatch_x < 0.3
                    for: %ds
                    message: "x is {{hvwatch_x}}"
                """.formatted(forSeconds)));
    }

    @Property
    void firingAndResolvingAlternateAndHappenOnlyPastTheirThresholds(
            @ForAll @Size(min = 1, max = 200) List<@DoubleRange(min = 0, max = 1) Double> xs,
            @ForAll @IntRange(min = 0, max = 5) int forSeconds) throws Exception {
        List<Alert> alerts = new ArrayList<>();
        List<Double> atAlert = new ArrayList<>();
        List<Integer> stepOfAlert = new ArrayList<>();
        RuleEngine engine = new RuleEngine(pack(forSeconds), new AlertFactory("h"), a -> alerts.add(a), 2);
        for (int i = 0; i < xs.size(); i++) {
            int before = alerts.size();
            engine.onSample(null, -1, X, xs.get(i));
            engine.onTick(i * SECOND);
            if (alerts.size() > before) {
                atAlert.add(xs.get(i));
                stepOfAlert.add(i);
            }
        }
        for (int k = 0; k < alerts.size(); k++) {
            AlertState expected = k % 2 == 0 ? AlertState.FIRING : AlertState.RESOLVED;
            assertThat(alerts.get(k).state()).isEqualTo(expected);
            if (expected == AlertState.FIRING) {
                assertThat(atAlert.get(k)).isGreaterThanOrEqualTo(0.8);
                int fired = stepOfAlert.get(k);
                for (int j = Math.max(0, fired - forSeconds); j <= fired; j++) {
                    assertThat(xs.get(j)).as("held for %d s", forSeconds).isGreaterThanOrEqualTo(0.8);
                }
            } else {
                assertThat(atAlert.get(k)).isLessThan(0.3);
            }
        }
    }
}
