package dev.hvwatch.agent.ship;

import static dev.hvwatch.agent.ship.ShipTestSupport.alert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.hvwatch.protocol.Alert;
import org.junit.jupiter.api.Test;

class OutboxTest {

    @Test
    void numbersAlertsFromOneInOfferOrder() {
        Outbox outbox = new Outbox(10);

        outbox.offer(alert("kvm-01", "a"));
        outbox.offer(alert("kvm-01", "b"));

        assertThat(outbox.after(0, 10)).extracting(Alert::id, Alert::seq)
                .containsExactly(tuple("a", 1L), tuple("b", 2L));
    }

    @Test
    void fullOutboxDropsNewAlertsAndCountsThem() {
        Outbox outbox = new Outbox(2);

        assertThat(outbox.offer(alert("kvm-01", "a"))).isTrue();
        assertThat(outbox.offer(alert("kvm-01", "b"))).isTrue();
        assertThat(outbox.offer(alert("kvm-01", "c"))).isFalse();
        assertThat(outbox.offer(alert("kvm-01", "d"))).isFalse();

        assertThat(outbox.dropped()).isEqualTo(2);
        assertThat(outbox.size()).isEqualTo(2);
        outbox.acknowledge(1);
        assertThat(outbox.offer(alert("kvm-01", "e"))).isTrue();
        assertThat(outbox.after(0, 10)).extracting(Alert::seq).containsExactly(2L, 3L);
    }

    @Test
    void batchesStartAfterTheGivenSeqAndStopAtTheLimit() {
        Outbox outbox = new Outbox(10);
        for (int i = 0; i < 5; i++) {
            outbox.offer(alert("kvm-01", "x" + i));
        }

        assertThat(outbox.after(2, 2)).extracting(Alert::seq).containsExactly(3L, 4L);
        assertThat(outbox.after(5, 2)).isEmpty();
    }

    @Test
    void acknowledgedAlertsAreForgotten() {
        Outbox outbox = new Outbox(10);
        for (int i = 0; i < 5; i++) {
            outbox.offer(alert("kvm-01", "x" + i));
        }

        outbox.acknowledge(3);

        assertThat(outbox.size()).isEqualTo(2);
        assertThat(outbox.after(0, 10)).extracting(Alert::seq).containsExactly(4L, 5L);
    }

    @Test
    void renumberingContinuesAfterTheGivenSeq() {
        Outbox outbox = new Outbox(10);
        outbox.offer(alert("kvm-01", "a"));
        outbox.offer(alert("kvm-01", "b"));

        outbox.renumberAfter(40);
        outbox.offer(alert("kvm-01", "c"));

        assertThat(outbox.after(0, 10)).extracting(Alert::id, Alert::seq).containsExactly(
                tuple("a", 41L), tuple("b", 42L),
                tuple("c", 43L));
    }
}
