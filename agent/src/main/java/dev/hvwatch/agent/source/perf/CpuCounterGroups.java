package dev.hvwatch.agent.source.perf;

import dev.hvwatch.nativebind.LibC;
import dev.hvwatch.nativebind.Perf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Counting-mode perf events on CPUs rather than threads (pid -1, one group per CPU), for events no process owns,
 * such as an IOMMU fault the kernel handles in an interrupt. Each group has a leader that counts every hit, and members
 * the caller adds and removes by key, each with its own kernel filter. A group is read in one read(2)
 * ({@code PERF_FORMAT_GROUP}), which the kernel takes on the group's CPU with interrupts off: a member's count and the
 * leader's are of the same moment, so the members never add up to more than the leader.
 *
 * <p>A member joins a running group disabled and is enabled once its filter is set, so it never counts unfiltered;
 * it counts from then on. A removed member keeps its last count. Used only by the sampling thread.
 */
public final class CpuCounterGroups implements AutoCloseable {
    private static final int LEADER = 0;

    private final PerfEventOpener opener;
    private final int[] cpus;
    private final int[] leaders;
    /** Members in the order they joined, which is the order of a group read's values after the leader's. */
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Map<String, Long> removed = new LinkedHashMap<>();
    /** Per CPU, the latest count of each slot: 0 the leader, then one slot per member ever added. */
    private long[][] counts;
    private PerfGroup[] groups;
    private Pointer buffer;
    private int nextSlot = LEADER + 1;
    private final LongAdder readFailures = new LongAdder();

    private record Member(int slot, int[] fds) {
    }

    private CpuCounterGroups(PerfEventOpener opener, int[] cpus, int[] leaders) {
        this.opener = opener;
        this.cpus = cpus;
        this.leaders = leaders;
        this.counts = new long[cpus.length][nextSlot];
        regroup();
    }

    /**
     * Opens and enables {@code leader} on each CPU.
     *
     * @throws PerfAccessException when the kernel refuses CPU-wide counting (EACCES, EPERM: perf_event_paranoid
     *                             without CAP_PERFMON)
     * @throws PerfEventException  when it refuses the event on a CPU for another reason
     */
    public static CpuCounterGroups open(PerfEventOpener opener, PerfEventSpec leader, int[] cpus)
            throws PerfAccessException, PerfEventException {
        int[] fds = new int[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            int fd = opener.openOnCpu(leader, cpus[i], PerfEventOpener.NO_GROUP);
            if (fd < 0) {
                closeAll(opener.libc(), fds, i);
                int errno = -fd;
                String why = "perf_event_open(" + leader.describe() + ") on CPU " + cpus[i] + ": "
                        + opener.strerror(errno) + " (errno " + errno + ")";
                if (errno == LibC.EACCES || errno == LibC.EPERM) {
                    throw new PerfAccessException(why + ". Counting on every CPU needs CAP_PERFMON (or root), or "
                            + "kernel.perf_event_paranoid at -1");
                }
                throw new PerfEventException(why, errno);
            }
            fds[i] = fd;
            if (opener.libc().ioctl(fd, Perf.IOC_ENABLE, 0) != 0) {
                int errno = LibC.errno();
                closeAll(opener.libc(), fds, i + 1);
                throw new PerfEventException("PERF_EVENT_IOC_ENABLE of " + leader.describe() + " on CPU " + cpus[i]
                        + ": " + opener.strerror(errno), errno);
            }
        }
        return new CpuCounterGroups(opener, cpus.clone(), fds);
    }

    /**
     * Adds a member on every CPU. A CPU that refuses it (an invalid filter: EINVAL) makes it refused on all: it is
     * counted as a failure by the opener, logged once, and the hits it would have counted stay in the leader's.
     *
     * @return whether it is counted now
     */
    public boolean add(String key, PerfEventSpec member) {
        if (members.containsKey(key)) {
            return true;
        }
        int[] fds = new int[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            int fd = opener.openOnCpu(member, cpus[i], leaders[i]);
            if (fd >= 0 && opener.libc().ioctl(fd, Perf.IOC_ENABLE, 0) != 0) {
                int errno = LibC.errno();
                opener.libc().close(fd);
                fd = -errno;
            }
            if (fd < 0) {
                closeAll(opener.libc(), fds, i);
                opener.failed(member, "CPU " + cpus[i], "perf_event_open with its filter", -fd);
                return false;
            }
            fds[i] = fd;
        }
        members.put(key, new Member(nextSlot++, fds));
        for (int i = 0; i < cpus.length; i++) {
            counts[i] = Arrays.copyOf(counts[i], nextSlot);
        }
        regroup();
        return true;
    }

    /** Reads the member one last time and stops counting it; {@link #count} keeps that count. */
    public void remove(String key) {
        Member m = members.get(key);
        if (m == null) {
            return;
        }
        read();
        removed.merge(key, sum(m.slot()), Long::sum);
        members.remove(key);
        closeAll(opener.libc(), m.fds(), m.fds().length);
        regroup();
    }

    /** The keys counted now. */
    public Set<String> keys() {
        return members.keySet();
    }

    /**
     * Reads every CPU's group. A CPU whose read fails keeps its previous counts and counts as a read failure.
     */
    public void read() {
        for (int i = 0; i < groups.length; i++) {
            if (!groups[i].read(buffer, counts[i])) {
                readFailures.increment();
            }
        }
    }

    /** Every hit of the leader's event on every CPU, as of the last {@link #read}. */
    public long all() {
        return sum(LEADER);
    }

    /**
     * A member's hits on every CPU as of the last {@link #read}, including what it counted before it was last removed
     * (a removed member keeps its count); 0 for a key never added.
     */
    public long count(String key) {
        Member m = members.get(key);
        return removed.getOrDefault(key, 0L) + (m != null ? sum(m.slot()) : 0);
    }

    /** Hits no member counted: those of no member's filter, and those before a member joined or after it left. */
    public long unclaimed() {
        long claimed = removed.values().stream().mapToLong(Long::longValue).sum();
        for (Member m : members.values()) {
            claimed += sum(m.slot());
        }
        return sum(LEADER) - claimed;
    }

    public int descriptors() {
        return cpus.length * (1 + members.size());
    }

    /** Group reads that failed, since the groups were opened; any thread may ask. */
    public long readFailures() {
        return readFailures.sum();
    }

    private long sum(int slot) {
        long total = 0;
        for (long[] cpu : counts) {
            total += cpu[slot];
        }
        return total;
    }

    /** Rebuilds each CPU's read view: the leader, then the members in the order they joined. */
    private void regroup() {
        List<Member> joined = new ArrayList<>(members.values());
        groups = new PerfGroup[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            int[] fds = new int[1 + joined.size()];
            int[] slots = new int[fds.length];
            fds[0] = leaders[i];
            slots[0] = LEADER;
            for (int k = 0; k < joined.size(); k++) {
                fds[1 + k] = joined.get(k).fds()[i];
                slots[1 + k] = joined.get(k).slot();
            }
            groups[i] = new PerfGroup(opener.libc(), fds, slots);
        }
        buffer = Memory.allocateDirect(LibC.runtime(), PerfGroup.readBytes(1 + joined.size()));
    }

    @Override
    public void close() {
        for (Member m : members.values()) {
            closeAll(opener.libc(), m.fds(), m.fds().length);
        }
        members.clear();
        closeAll(opener.libc(), leaders, leaders.length);
    }

    private static void closeAll(LibC libc, int[] fds, int count) {
        for (int i = 0; i < count; i++) {
            libc.close(fds[i]);
        }
    }
}
