package dev.hvwatch.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.RepeatedTest;

class BackoffTest {
    private static final Duration MIN = Duration.ofMillis(100);
    private static final Duration MAX = Duration.ofMillis(1000);

    @RepeatedTest(20)
    void delaysDoubleWithinTheUpperHalfOfTheirRangeUpToTheMaximum() {
        Backoff backoff = new Backoff(MIN, MAX);

        assertThat(backoff.next()).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
        assertThat(backoff.next()).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
        assertThat(backoff.next()).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
        assertThat(backoff.next()).isBetween(Duration.ofMillis(400), Duration.ofMillis(800));
        for (int i = 0; i < 100; i++) {
            assertThat(backoff.next()).isBetween(Duration.ofMillis(500), MAX);
        }
    }

    @RepeatedTest(5)
    void resetStartsAgainFromTheMinimum() {
        Backoff backoff = new Backoff(MIN, MAX);
        for (int i = 0; i < 10; i++) {
            backoff.next();
        }

        backoff.reset();

        assertThat(backoff.next()).isLessThanOrEqualTo(MIN);
    }
}
