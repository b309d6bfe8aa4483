package dev.hvwatch.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class WaterFillingTest {

    @Test
    void aCappedPartysRemainderGoesToTheOthersByWeight() {
        double[] parts = WaterFilling.allocate(10, new double[] {1, 1, 2}, new double[] {1, 100, 100});
        assertThat(parts).containsExactly(new double[] {1, 3, 6}, offset(1e-9));
    }

    record Case(double total, double[] weights, double[] caps) {
    }

    @Provide
    Arbitrary<Case> cases() {
        return Arbitraries.integers().between(1, 8).flatMap(n -> Combinators.combine(
                Arbitraries.doubles().between(0, 100),
                Arbitraries.doubles().between(0.01, 10).array(double[].class).ofSize(n),
                Arbitraries.doubles().between(0, 50).array(double[].class).ofSize(n)).as(Case::new));
    }

    @Property
    void nobodyGetsMoreThanTheirCapAndNothingIsLeftWhileSomebodyCouldTakeIt(@ForAll("cases") Case c) {
        double[] parts = WaterFilling.allocate(c.total(), c.weights(), c.caps());
        double given = 0;
        double capacity = 0;
        for (int i = 0; i < parts.length; i++) {
            assertThat(parts[i]).isBetween(0.0, c.caps()[i] + 1e-9);
            given += parts[i];
            capacity += c.caps()[i];
        }
        assertThat(given).isCloseTo(Math.min(c.total(), capacity), offset(1e-6));
    }

    @Property
    void partiesBelowTheirCapsGetTheSameAmountPerWeight(@ForAll("cases") Case c) {
        double[] parts = WaterFilling.allocate(c.total(), c.weights(), c.caps());
        double level = Double.NaN;
        for (int i = 0; i < parts.length; i++) {
            if (parts[i] < c.caps()[i] - 1e-9) {
                double perWeight = parts[i] / c.weights()[i];
                if (!Double.isNaN(level)) {
                    assertThat(perWeight).isCloseTo(level, offset(1e-6));
                }
                level = perWeight;
            }
        }
        for (int i = 0; i < parts.length; i++) {
            if (!Double.isNaN(level) && parts[i] >= c.caps()[i] - 1e-9) {
                assertThat(c.caps()[i] / c.weights()[i]).as("a capped party's cap is below the level")
                        .isLessThanOrEqualTo(level + 1e-6);
            }
        }
    }
}
