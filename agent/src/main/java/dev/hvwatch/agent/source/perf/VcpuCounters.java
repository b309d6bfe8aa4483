package dev.hvwatch.agent.source.perf;

import dev.hvwatch.agent.ring.Series;
import java.util.function.IntFunction;
import jnr.ffi.Pointer;

/**
 * The counters of one vCPU: the perf groups open on its current thread, plus what earlier threads of the same vCPU
 * counted, so that the vCPU's totals only grow when QEMU replaces the thread. Indexed by slot, the position of an
 * event over all of a source's groups.
 */
public final class VcpuCounters {
    private final int index;
    private final PerfGroup[] groups;
    private final long[] current;
    private final long[] earlierThreads;
    private Series[] series;
    private long tid = -1;
    long seenInRound;

    VcpuCounters(int index, int groupCount, int slots) {
        this.index = index;
        this.groups = new PerfGroup[groupCount];
        this.current = new long[slots];
        this.earlierThreads = new long[slots];
    }

    /** The vCPU index, as in QEMU's {@code CPU n/KVM} thread name. */
    public int index() {
        return index;
    }

    /** Everything this vCPU counted in a slot since the agent found it. */
    public long count(int slot) {
        return earlierThreads[slot] + current[slot];
    }

    /** The series a slot is published as, created by {@code create} on first use and kept with the vCPU. */
    public Series series(int slot, IntFunction<Series> create) {
        if (series == null) {
            series = new Series[current.length];
        }
        if (series[slot] == null) {
            series[slot] = create.apply(slot);
        }
        return series[slot];
    }

    long tid() {
        return tid;
    }

    /** Starts counting a new thread of this vCPU; the groups are null where they could not be opened. */
    void follow(long newTid, PerfGroup[] opened) {
        tid = newTid;
        System.arraycopy(opened, 0, groups, 0, groups.length);
    }

    /** @return the reads that failed */
    int read(Pointer buffer) {
        int failed = 0;
        for (PerfGroup g : groups) {
            if (g != null && !g.read(buffer, current)) {
                failed++;
            }
        }
        return failed;
    }

    /** Reads one last time, moves the thread's counts to the earlier threads' and closes its groups. */
    int retireThread(Pointer buffer) {
        int failed = read(buffer);
        for (int slot = 0; slot < current.length; slot++) {
            earlierThreads[slot] += current[slot];
            current[slot] = 0;
        }
        close();
        tid = -1;
        return failed;
    }

    int descriptors() {
        int n = 0;
        for (PerfGroup g : groups) {
            n += g == null ? 0 : g.descriptors();
        }
        return n;
    }

    void close() {
        for (int i = 0; i < groups.length; i++) {
            if (groups[i] != null) {
                groups[i].close();
                groups[i] = null;
            }
        }
    }
}
