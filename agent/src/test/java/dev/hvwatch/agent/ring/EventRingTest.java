package dev.hvwatch.agent.ring;

import static org.assertj.core.api.Assertions.assertThat;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.vm.Vm;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class EventRingTest {
    private static final Vm VM = new Vm(1, 1, "a", "", 1, Optional.empty(), true, List.of());

    @Test
    void aFullRingDropsAndCountsInsteadOfBlockingTheProducer() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger consumed = new AtomicInteger();
        EventHandler<TelemetryEvent> stuck = (e, seq, end) -> {
            release.await();
            consumed.incrementAndGet();
        };
        try (EventRing ring = new EventRing(8, stuck)) {
            int accepted = 0;
            for (int i = 0; i < 100; i++) {
                if (ring.publishSchedstat(i, VM, 0, 2, i, i, i, true)) {
                    accepted++;
                }
            }
            // The consumer holds one slot while it waits, so the ring takes its 8 slots plus that one at most.
            assertThat(accepted).isBetween(8, 9);
            assertThat(ring.dropped()).isEqualTo(100 - accepted);

            release.countDown();
            int published = accepted;
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> consumed.get() == published);
            assertThat(ring.publishVmLifecycle(EventKind.VM_STOPPED, 1, VM)).as("room again once consumed").isTrue();
        }
    }

    @Test
    void slotsCarryNoStaleFieldsFromTheirPreviousUse() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        EventHandler<TelemetryEvent> capture = (e, seq, end) ->
                seen.add(e.kind() + " vcpu=" + e.vcpu() + " run=" + e.runNanos() + " runnable=" + e.runnable());
        try (EventRing ring = new EventRing(2, capture)) {
            // Two slots, eight events: every slot is reused, alternately for each kind of event.
            for (int i = 0; i < 4; i++) {
                int before = seen.size();
                ring.publishSchedstat(i, VM, 3, 2, 100, 50, 7, true);
                ring.publishVmLifecycle(EventKind.VM_STARTED, i, VM);
                Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> seen.size() == before + 2);
            }
        }
        assertThat(seen).filteredOn(s -> s.startsWith("VM_STARTED"))
                .hasSize(4).allMatch(s -> s.equals("VM_STARTED vcpu=-1 run=0 runnable=false"));
    }

    @Test
    void aBatchPublishesItsEventsInOrderAndABatchThatDoesNotFitIsDroppedWholeAndCounted() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Long> seen = new CopyOnWriteArrayList<>();
        EventHandler<TelemetryEvent> gated = (e, seq, end) -> {
            release.await();
            seen.add(e.kind() == EventKind.SAMPLE ? (long) e.value() : e.runNanos());
        };
        Series series = new Series("hvwatch.test", "test", null, false, Map.of());
        try (EventRing ring = new EventRing(16, gated)) {
            Batch batch = ring.batch();
            for (int i = 0; i < 10; i++) {
                batch.sample(i, VM, 0, series, i);
            }
            batch.schedstat(10, VM, 0, 2, 10, 0, 1, true);
            assertThat(seen).as("staged, not published, until the flush").isEmpty();
            batch.flush();
            for (int i = 0; i < 10; i++) {
                batch.sample(i, VM, 0, series, 100 + i);
            }
            assertThat(batch.tryFlush()).as("11 slots taken of 16: no room for 10 more").isFalse();
            batch.flush();
            assertThat(ring.dropped()).isEqualTo(10);
            release.countDown();
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> seen.size() == 11);
            assertThat(seen).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        }
    }

    /** The finding: a fault in the spool killed the rules' thread while /metrics kept serving. */
    @Test
    void aConsumerThatFailsOnAnEventIsCountedAndGoesOnWithTheNext() throws Exception {
        List<Long> seen = new CopyOnWriteArrayList<>();
        Series series = new Series("hvwatch.test", "test", null, false, Map.of());
        EventHandler<TelemetryEvent> failing = (e, seq, end) -> {
            if (e.value() == 1) {
                throw new InternalError("a fault occurred in a recent unsafe memory access operation");
            }
            seen.add((long) e.value());
        };
        try (EventRing ring = new EventRing(16, failing)) {
            for (int i = 0; i < 3; i++) {
                ring.publishSample(i, VM, 0, series, i);
            }
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> seen.size() == 2);
            assertThat(seen).containsExactly(0L, 2L);
            assertThat(ring.consumerErrors()).isEqualTo(1);
        }
    }
}
