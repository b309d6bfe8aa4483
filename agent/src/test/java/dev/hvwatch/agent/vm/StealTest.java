package dev.hvwatch.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StealTest {

    @Test
    void isTheShareOfRunnableTimeSpentWaiting() {
        assertThat(Steal.ratio(3, 1)).isEqualTo(0.25);
        assertThat(Steal.ratio(0, 2e9)).isEqualTo(1.0);
        assertThat(Steal.ratio(2e9, 0)).isZero();
    }

    @Test
    void isUnknownForAnIntervalWithNoRunnableTimeOrATimeGoingBack() {
        assertThat(Steal.ratio(0, 0)).isNaN();
        assertThat(Steal.ratio(-1, 5)).isNaN();
        assertThat(Steal.ratio(5, -1)).isNaN();
    }
}
