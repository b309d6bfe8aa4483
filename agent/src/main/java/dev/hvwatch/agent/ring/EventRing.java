package dev.hvwatch.agent.ring;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import dev.hvwatch.agent.vm.Vm;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's pipeline between sources and consumers: an LMAX Disruptor ring of pre-allocated
 * {@link TelemetryEvent} slots. Roles: sources are (multiple) producers that claim a slot with {@code tryNext} and
 * never wait — a full ring drops the event and counts it; every consumer ({@link EventHandler}) runs on its own
 * thread and sees every event, in order, so each one is the single writer of its own state.
 */
public final class EventRing implements AutoCloseable {
    /** The drop counter's stage label: the event never entered the ring. */
    public static final String STAGE = "ring";
    /** The drop counter's stage label of events a consumer (rules, metrics) failed on and skipped. */
    public static final String CONSUMER_STAGE = "consumer";
    private static final Logger LOG = LoggerFactory.getLogger(EventRing.class);

    private final Disruptor<TelemetryEvent> disruptor;
    private final RingBuffer<TelemetryEvent> ring;
    private final LongAdder dropped = new LongAdder();
    private final LongAdder consumerErrors = new LongAdder();

    @SafeVarargs
    public EventRing(int size, EventHandler<TelemetryEvent>... consumers) {
        disruptor = new Disruptor<>(TelemetryEvent::new, size, new NamedThreads("hvwatch-ring"), ProducerType.MULTI,
                // Events come in bursts once per sampling interval. Busy-spinning or sleeping strategies poll in
                // between (SleepingWaitStrategy measured at ~20% of a CPU per idle consumer); blocking costs a
                // lock and a signal per batch, and nothing while idle. Without a timeout: a 10 ms one woke each idle
                // consumer 100 times a second, 5-6 ms of CPU a second each (BENCHMARKS.md, "Agent footprint").
                new BlockingWaitStrategy());
        // The Disruptor's default handler rethrows, which ends the consumer's thread for good: the agent would go on
        // sampling and serving frozen metrics with no rule evaluated. An event a consumer fails on is logged,
        // counted (hvwatch_events_dropped_total{stage="consumer"}) and skipped; the consumer goes on with the next one.
        disruptor.setDefaultExceptionHandler(new SkipAndCount());
        disruptor.handleEventsWith(consumers);
        ring = disruptor.start();
    }

    public boolean publishVmLifecycle(EventKind lifecycle, long timeNanos, Vm vm) {
        long seq = claim();
        if (seq < 0) {
            return false;
        }
        try {
            ring.get(seq).setVmLifecycle(lifecycle, timeNanos, vm);
        } finally {
            ring.publish(seq);
        }
        return true;
    }

    public boolean publishSchedstat(long timeNanos, Vm vm, int vcpu, long tid, long run, long wait, long slices,
                                    boolean runnable) {
        long seq = claim();
        if (seq < 0) {
            return false;
        }
        try {
            ring.get(seq).setSchedstat(timeNanos, vm, vcpu, tid, run, wait, slices, runnable);
        } finally {
            ring.publish(seq);
        }
        return true;
    }

    /** @param vcpu the vCPU index, or -1 for a VM-wide series */
    public boolean publishSample(long timeNanos, Vm vm, int vcpu, Series series, double value) {
        long seq = claim();
        if (seq < 0) {
            return false;
        }
        try {
            ring.get(seq).setSample(timeNanos, vm, vcpu, series, value);
        } finally {
            ring.publish(seq);
        }
        return true;
    }

    /** @param vm the VM concerned, or null when the notice is about the host */
    public boolean publishNotice(long timeNanos, Vm vm, Notice notice) {
        long seq = claim();
        if (seq < 0) {
            return false;
        }
        try {
            ring.get(seq).setNotice(timeNanos, vm, notice);
        } finally {
            ring.publish(seq);
        }
        return true;
    }

    /** The end of a sampling round. */
    public boolean publishTick(long timeNanos) {
        long seq = claim();
        if (seq < 0) {
            return false;
        }
        try {
            ring.get(seq).setTick(timeNanos);
        } finally {
            ring.publish(seq);
        }
        return true;
    }

    /** A batch for one producer's events of one round: see {@link Batch}. */
    public Batch batch() {
        return new Batch(this, Batch.CAPACITY);
    }

    /**
     * Publishes {@code n} staged events in order with one claim and one signal to the consumers; all of them, or
     * none when the ring has not room for them all.
     */
    boolean publishAll(TelemetryEvent[] events, int n) {
        long hi;
        try {
            hi = ring.tryNext(n);
        } catch (InsufficientCapacityException e) {
            return false;
        }
        long lo = hi - n + 1;
        try {
            for (int i = 0; i < n; i++) {
                ring.get(lo + i).copyFrom(events[i]);
            }
        } finally {
            ring.publish(lo, hi);
        }
        return true;
    }

    /** A free slot's sequence, or -1 (counted as a drop) when the ring is full: producers never wait. */
    private long claim() {
        try {
            return ring.tryNext();
        } catch (InsufficientCapacityException e) {
            dropped.increment();
            return -1;
        }
    }

    void countDropped(int n) {
        dropped.add(n);
    }

    /** Events a consumer failed on (and skipped), by any consumer. */
    public long consumerErrors() {
        return consumerErrors.sum();
    }

    /** Events refused because the ring was full. */
    public long dropped() {
        return dropped.sum();
    }

    public long remainingCapacity() {
        return ring.remainingCapacity();
    }

    /** Lets consumers finish what was published, then stops their threads. */
    @Override
    public void close() {
        try {
            disruptor.shutdown(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            disruptor.halt();
        }
    }

    private final class SkipAndCount implements ExceptionHandler<TelemetryEvent> {
        @Override
        public void handleEventException(Throwable e, long sequence, TelemetryEvent event) {
            consumerErrors.increment();
            LOG.error("{} failed on event {} ({}); skipped it and goes on", Thread.currentThread().getName(),
                    sequence, event.kind(), e);
        }

        @Override
        public void handleOnStartException(Throwable e) {
            consumerErrors.increment();
            LOG.error("{} failed to start", Thread.currentThread().getName(), e);
        }

        @Override
        public void handleOnShutdownException(Throwable e) {
            LOG.warn("{} failed to stop cleanly", Thread.currentThread().getName(), e);
        }
    }

    private static final class NamedThreads implements ThreadFactory {
        private final String prefix;
        private final AtomicInteger n = new AtomicInteger();

        NamedThreads(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
