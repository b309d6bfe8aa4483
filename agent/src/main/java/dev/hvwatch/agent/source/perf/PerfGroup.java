package dev.hvwatch.agent.source.perf;

import dev.hvwatch.nativebind.LibC;
import jnr.ffi.Pointer;

/**
 * A perf event group open on one thread. Reading the leader returns every member's count in one read(2)
 * ({@code PERF_FORMAT_GROUP}): {@code nr, time_enabled, time_running, value[nr]}. Members keep the order in which
 * they joined the group, which is how a value finds its slot.
 */
final class PerfGroup implements AutoCloseable {
    private static final int HEADER_WORDS = 3;

    private final LibC libc;
    private final int[] fds;
    private final int[] slots;
    private final int readBytes;

    /**
     * @param fds   the leader first, then the members in the order they joined
     * @param slots where each descriptor's count goes in the caller's counts array
     */
    PerfGroup(LibC libc, int[] fds, int[] slots) {
        this.libc = libc;
        this.fds = fds;
        this.slots = slots;
        this.readBytes = (HEADER_WORDS + fds.length) * Long.BYTES;
    }

    /** Bytes a read of this group needs. */
    static int readBytes(int members) {
        return (HEADER_WORDS + members) * Long.BYTES;
    }

    int descriptors() {
        return fds.length;
    }

    /**
     * Reads every member into {@code counts} at its slot. Hardware counters that had to share the PMU are scaled by
     * time enabled / time running, as perf stat does; an estimate can come out a little lower than the one before,
     * so a count never goes down here: the series are cumulative.
     *
     * @param buffer native memory of at least {@link #readBytes(int)}, reused across reads
     * @return false when the read failed or came back short; {@code counts} keeps its previous values
     */
    boolean read(Pointer buffer, long[] counts) {
        if (libc.read(fds[0], buffer, readBytes) != readBytes || buffer.getLong(0) != fds.length) {
            return false;
        }
        long enabled = buffer.getLong(Long.BYTES);
        long running = buffer.getLong(2L * Long.BYTES);
        for (int i = 0; i < fds.length; i++) {
            long raw = buffer.getLong((HEADER_WORDS + i) * (long) Long.BYTES);
            long value = running > 0 && running < enabled ? (long) (raw * ((double) enabled / running)) : raw;
            if (value > counts[slots[i]]) {
                counts[slots[i]] = value;
            }
        }
        return true;
    }

    @Override
    public void close() {
        for (int fd : fds) {
            libc.close(fd);
        }
    }
}
