package dev.hvwatch.agent.rules.expr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class WindowFunctionProperties {
    private static final long SECOND = 1_000_000_000L;

    private static Window fill(List<Double> values, int stepSeconds, int spanSeconds) {
        Window w = new Window(spanSeconds * SECOND);
        for (int i = 0; i < values.size(); i++) {
            w.add(i * stepSeconds * SECOND, values.get(i));
        }
        return w;
    }

    @Property
    void aWindowHoldsExactlyTheSamplesOfItsSpan(@ForAll @Size(min = 1, max = 200) List<@DoubleRange(min = -1e6, max = 1e6) Double> values,
                                               @ForAll @IntRange(min = 1, max = 5) int step,
                                               @ForAll @IntRange(min = 1, max = 120) int span) {
        Window w = fill(values, step, span);
        long now = (values.size() - 1L) * step * SECOND;
        int inside = 0;
        for (int i = 0; i < values.size(); i++) {
            if ((long) i * step * SECOND > now - span * SECOND) {
                inside++;
            }
        }
        assertThat(w.size()).isEqualTo(inside);
        for (int i = 0; i < w.size(); i++) {
            assertThat(w.time(i)).isGreaterThan(now - span * SECOND);
        }
        assertThat(w.value(w.size() - 1)).isEqualTo(values.get(values.size() - 1));
    }

    @Property
    void increaseOfAGrowingCounterIsLastMinusFirstAndRateDividesByTime(
            @ForAll @Size(min = 2, max = 100) List<@DoubleRange(min = 0, max = 1e6) Double> steps,
            @ForAll @IntRange(min = 1, max = 5) int step, @ForAll @IntRange(min = 1, max = 60) int span) {
        double total = 0;
        Window w = new Window(span * SECOND);
        for (int i = 0; i < steps.size(); i++) {
            total += steps.get(i);
            w.add(i * step * SECOND, total);
        }
        long now = (steps.size() - 1L) * step * SECOND;
        double increase = Compiler.increase(w, now);
        if (w.size() < 2) {
            assertThat(increase).isNaN();
            return;
        }
        assertThat(increase).isCloseTo(w.value(w.size() - 1) - w.value(0), offset(1e-3));
        double seconds = (w.time(w.size() - 1) - w.time(0)) / 1e9;
        assertThat(Compiler.rate(w, now)).isCloseTo(increase / seconds, offset(1e-6));
    }

    @Property
    void increaseNeverGoesNegativeAcrossCounterResets(
            @ForAll @Size(min = 2, max = 100) List<@DoubleRange(min = 0, max = 1e6) Double> values) {
        Window w = fill(values, 1, 1000);
        assertThat(Compiler.increase(w, (values.size() - 1L) * SECOND)).isGreaterThanOrEqualTo(0);
    }

    @Property
    void minAvgMaxAreOrdered(@ForAll @Size(min = 1, max = 100) List<@DoubleRange(min = -1e6, max = 1e6) Double> values,
                             @ForAll @IntRange(min = 1, max = 100) int span) {
        Window w = fill(values, 1, span);
        long now = (values.size() - 1L) * SECOND;
        double min = Compiler.aggregate(w, now, -1);
        double avg = Compiler.aggregate(w, now, 0);
        double max = Compiler.aggregate(w, now, 1);
        assertThat(min).isLessThanOrEqualTo(avg + 1e-6);
        assertThat(avg).isLessThanOrEqualTo(max + 1e-6);
        assertThat(max).isEqualTo(values.subList(values.size() - w.size(), values.size()).stream()
                .mapToDouble(Double::doubleValue).max().orElseThrow());
    }
}
