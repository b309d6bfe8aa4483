package dev.hvwatch.agent.ring;

import dev.hvwatch.agent.vm.Vm;

/**
 * One pre-allocated, mutable ring slot. Producers overwrite every field they use and {@link #clear} resets the
 * rest, so a slot never carries a stale value from its previous use. Fields hold primitives or references to
 * objects that outlive the event ({@link Vm}), which is what keeps publishing allocation-free.
 */
public final class TelemetryEvent {
    private EventKind kind;
    private long timeNanos;
    private Vm vm;
    private int vcpu;
    private long tid;
    private long runNanos;
    private long waitNanos;
    private long timeslices;
    private boolean runnable;
    private Series series;
    private double value;
    private Notice notice;

    void clear() {
        kind = null;
        timeNanos = 0;
        vm = null;
        vcpu = -1;
        tid = -1;
        runNanos = 0;
        waitNanos = 0;
        timeslices = 0;
        runnable = false;
        series = null;
        value = 0;
        notice = null;
    }

    /** Makes this slot a copy of a staged event (see {@link Batch}). */
    void copyFrom(TelemetryEvent e) {
        kind = e.kind;
        timeNanos = e.timeNanos;
        vm = e.vm;
        vcpu = e.vcpu;
        tid = e.tid;
        runNanos = e.runNanos;
        waitNanos = e.waitNanos;
        timeslices = e.timeslices;
        runnable = e.runnable;
        series = e.series;
        value = e.value;
        notice = e.notice;
    }

    void setVmLifecycle(EventKind lifecycle, long time, Vm subject) {
        clear();
        kind = lifecycle;
        timeNanos = time;
        vm = subject;
    }

    void setSchedstat(long time, Vm subject, int vcpuIndex, long threadId, long run, long wait, long slices,
                      boolean isRunnable) {
        clear();
        kind = EventKind.SCHEDSTAT;
        timeNanos = time;
        vm = subject;
        vcpu = vcpuIndex;
        tid = threadId;
        runNanos = run;
        waitNanos = wait;
        timeslices = slices;
        runnable = isRunnable;
    }

    void setSample(long time, Vm subject, int vcpuIndex, Series of, double sampleValue) {
        clear();
        kind = EventKind.SAMPLE;
        timeNanos = time;
        vm = subject;
        vcpu = vcpuIndex;
        series = of;
        value = sampleValue;
    }

    void setTick(long time) {
        clear();
        kind = EventKind.TICK;
        timeNanos = time;
    }

    void setNotice(long time, Vm subject, Notice what) {
        clear();
        kind = EventKind.NOTICE;
        timeNanos = time;
        vm = subject;
        notice = what;
    }

    public EventKind kind() {
        return kind;
    }

    /** Wall-clock time of the observation, nanoseconds since the epoch. */
    public long timeNanos() {
        return timeNanos;
    }

    /** The VM concerned; null for a host-wide NOTICE. */
    public Vm vm() {
        return vm;
    }

    /** The vCPU index, or -1 when the event concerns the whole VM. */
    public int vcpu() {
        return vcpu;
    }

    public long tid() {
        return tid;
    }

    public long runNanos() {
        return runNanos;
    }

    public long waitNanos() {
        return waitNanos;
    }

    public long timeslices() {
        return timeslices;
    }

    /** The series a SAMPLE belongs to. */
    public Series series() {
        return series;
    }

    /** A SAMPLE's value: the running total for cumulative series, the current value otherwise. */
    public double value() {
        return value;
    }

    /** A NOTICE's content. */
    public Notice notice() {
        return notice;
    }

    /** Whether the thread was running or waiting to run (state R) when read, as opposed to sleeping. */
    public boolean runnable() {
        return runnable;
    }
}
