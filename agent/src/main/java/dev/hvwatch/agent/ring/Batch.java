package dev.hvwatch.agent.ring;

import dev.hvwatch.agent.vm.Vm;

/**
 * A source's events of one sampling round, staged in pre-allocated events and published together by
 * {@link #flush}: one claim on the ring and one wake-up of its consumers per batch instead of per event. That is
 * what lets a round of thousands of samples cross the ring at tens of millions of events a second (BENCHMARKS.md,
 * issue 4) while the consumers still park between rounds. A full batch flushes itself; a source calls
 * {@link #flush} at the end of its round. One producer thread per batch.
 */
public final class Batch {
    /** Events staged at most: a few rounds' worth for a VM, about 20 KiB. */
    static final int CAPACITY = 256;
    private final EventRing ring;
    private final TelemetryEvent[] staged;
    private int size;

    Batch(EventRing ring, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a batch holds at least one event, not " + capacity);
        }
        this.ring = ring;
        this.staged = new TelemetryEvent[capacity];
        for (int i = 0; i < capacity; i++) {
            staged[i] = new TelemetryEvent();
        }
    }

    /** @param vcpu the vCPU index, or -1 for a VM-wide series */
    public void sample(long timeNanos, Vm vm, int vcpu, Series series, double value) {
        next().setSample(timeNanos, vm, vcpu, series, value);
    }

    public void schedstat(long timeNanos, Vm vm, int vcpu, long tid, long run, long wait, long slices,
                          boolean runnable) {
        next().setSchedstat(timeNanos, vm, vcpu, tid, run, wait, slices, runnable);
    }

    private TelemetryEvent next() {
        if (size == staged.length) {
            flush();
        }
        return staged[size++];
    }

    /** Publishes what is staged; a ring without room for all of it drops (and counts) all of it. */
    public void flush() {
        if (!tryFlush()) {
            ring.countDropped(size);
            size = 0;
        }
    }

    /** Publishes what is staged if the ring has room for all of it; otherwise keeps it staged and says so. */
    public boolean tryFlush() {
        if (size > 0) {
            if (!ring.publishAll(staged, size)) {
                return false;
            }
            size = 0;
        }
        return true;
    }

    /** Whether the next event would flush the batch first. */
    public boolean full() {
        return size == staged.length;
    }
}
