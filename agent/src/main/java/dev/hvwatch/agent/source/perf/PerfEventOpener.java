package dev.hvwatch.agent.source.perf;

import dev.hvwatch.nativebind.LibC;
import dev.hvwatch.nativebind.Perf;
import dev.hvwatch.nativebind.PerfEventAttr;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens counting-mode perf event groups on threads (pid = thread id, cpu = -1: the counts follow the thread across
 * CPUs, so they belong to one VM), or on CPUs (pid = -1, cpu = N) for events no thread owns. An event the kernel
 * refuses is counted as a failure and logged once per event and reason, and the rest of its group still counts. Used
 * only by the sampling thread.
 */
public final class PerfEventOpener {
    private static final Logger LOG = LoggerFactory.getLogger(PerfEventOpener.class);
    private static final long READ_FORMAT =
            Perf.FORMAT_GROUP | Perf.FORMAT_TOTAL_TIME_ENABLED | Perf.FORMAT_TOTAL_TIME_RUNNING;
    private static final int ANY_CPU = -1;
    private static final int ANY_THREAD = -1;
    static final int NO_GROUP = -1;

    private final LibC libc = LibC.load();
    private final PerfEventAttr attr = new PerfEventAttr(LibC.runtime());
    private final FdLimit fdLimit = new FdLimit();
    private final String source;
    private final LongAdder failures = new LongAdder();
    private final Set<String> logged = new HashSet<>();

    /** @param source the source's name, for log lines */
    public PerfEventOpener(String source) {
        this.source = source;
    }

    /**
     * Opens {@code events} as one group on thread {@code tid}, counting from the moment every member is in place.
     *
     * @param firstSlot the slot of {@code events.get(0)} in the caller's counts array
     * @return the group, or null when the thread has ended or no event could be opened
     * @throws PerfAccessException when the kernel refuses perf events on the thread altogether
     */
    PerfGroup open(List<PerfEventSpec> events, int firstSlot, long tid) throws PerfAccessException {
        int[] fds = new int[events.size()];
        int[] slots = new int[events.size()];
        int opened = 0;
        for (int i = 0; i < events.size(); i++) {
            PerfEventSpec event = events.get(i);
            // The leader starts disabled and is enabled last, so that no member counts before every filter is set.
            int fd = openCounting(event, tid, ANY_CPU, opened == 0 ? NO_GROUP : fds[0],
                    opened == 0 ? Perf.ATTR_DISABLED : 0);
            if (fd < 0) {
                int errno = -fd;
                if (errno == LibC.ESRCH) {
                    closeAll(fds, opened); // the thread ended after discovery listed it
                    return null;
                }
                if (errno == LibC.EACCES || errno == LibC.EPERM) {
                    closeAll(fds, opened);
                    throw new PerfAccessException("perf_event_open(" + event.describe() + ") on thread " + tid
                            + ": " + libc.strerror(errno) + ". Counting another process's threads needs root, or "
                            + "CAP_PERFMON and ptrace access to it (see kernel.perf_event_paranoid)");
                }
                failed(event, tid, "perf_event_open", errno);
                if (errno == LibC.EMFILE || errno == LibC.ENFILE) {
                    closeAll(fds, opened); // out of descriptors: a partial group would only hold on to some
                    return null;
                }
                continue;
            }
            if (event.filter() != null && libc.ioctl(fd, Perf.IOC_SET_FILTER, event.filter()) != 0) {
                failed(event, tid, "PERF_EVENT_IOC_SET_FILTER", LibC.errno());
                libc.close(fd);
                continue;
            }
            fds[opened] = fd;
            slots[opened] = firstSlot + i;
            opened++;
        }
        if (opened == 0) {
            return null;
        }
        if (libc.ioctl(fds[0], Perf.IOC_ENABLE, Perf.IOC_FLAG_GROUP) != 0) {
            failed(events.get(0), tid, "PERF_EVENT_IOC_ENABLE", LibC.errno());
            closeAll(fds, opened);
            return null;
        }
        return new PerfGroup(libc, Arrays.copyOf(fds, opened), Arrays.copyOf(slots, opened));
    }

    /**
     * Whether the calling thread can count {@code event}: 0, or the errno perf_event_open gave. Tells a host
     * without a hardware PMU (ENOENT) before any vCPU thread is tried.
     */
    int probe(PerfEventSpec event) {
        int fd = openCounting(event, 0, ANY_CPU, NO_GROUP, Perf.ATTR_DISABLED);
        if (fd < 0) {
            return -fd;
        }
        libc.close(fd);
        return 0;
    }

    /**
     * Opens {@code event} on CPU {@code cpu} for every thread, disabled, with its filter set: the caller enables it
     * once it is in place, so that it never counts unfiltered.
     *
     * @param groupFd the group's leader on that CPU, or {@link #NO_GROUP} for a new group
     * @return the descriptor, or minus the errno of the call that failed (failures are not counted here: the caller
     *         knows whether one is fatal)
     */
    int openOnCpu(PerfEventSpec event, int cpu, int groupFd) {
        int fd = openCounting(event, ANY_THREAD, cpu, groupFd, Perf.ATTR_DISABLED);
        if (fd < 0 || event.filter() == null) {
            return fd;
        }
        if (libc.ioctl(fd, Perf.IOC_SET_FILTER, event.filter()) != 0) {
            int errno = LibC.errno();
            libc.close(fd);
            return -errno;
        }
        return fd;
    }

    /** Events the kernel refused, since start. */
    public long failures() {
        return failures.sum();
    }

    /** The descriptor, or minus the errno. */
    private int openCounting(PerfEventSpec event, long pid, int cpu, int groupFd, long flags) {
        attr.reset();
        attr.type.set(event.type());
        attr.config.set(event.config());
        attr.readFormat.set(READ_FORMAT);
        attr.flags.set(flags);
        int fd = Perf.open(attr, pid, cpu, groupFd, Perf.FLAG_FD_CLOEXEC);
        if (fd >= 0) {
            return fd;
        }
        int errno = LibC.errno();
        if (errno == LibC.EMFILE && fdLimit.raiseSoftToHard()) {
            fd = Perf.open(attr, pid, cpu, groupFd, Perf.FLAG_FD_CLOEXEC);
            return fd >= 0 ? fd : -LibC.errno();
        }
        return -errno;
    }

    private void failed(PerfEventSpec event, long tid, String call, int errno) {
        failed(event, "thread " + tid, call, errno);
    }

    /** Counts a refused event and logs it once per event, call and errno. */
    void failed(PerfEventSpec event, String where, String call, int errno) {
        failures.increment();
        if (logged.add(event.describe() + '\0' + call + '\0' + errno)) {
            LOG.warn("{}: cannot count {} on {}: {}: {} (errno {}); counted in hvwatch_source_errors_total, "
                    + "logged once", source, event.describe(), where, call, libc.strerror(errno), errno);
        }
    }

    /** The C library's message for an errno value. */
    String strerror(int errno) {
        return libc.strerror(errno);
    }

    LibC libc() {
        return libc;
    }

    private void closeAll(int[] fds, int count) {
        for (int i = 0; i < count; i++) {
            libc.close(fds[i]);
        }
    }
}
