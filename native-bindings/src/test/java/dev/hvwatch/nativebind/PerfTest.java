package dev.hvwatch.nativebind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** perf_event_open on the test's own thread: software events and tracepoints exist without any PMU or KVM. */
class PerfTest {
    private static final LibC LIBC = LibC.load();
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int EEXIST = 17;

    private final PerfEventAttr attr = new PerfEventAttr(LibC.runtime());
    private final Pointer buffer = Memory.allocateDirect(LibC.runtime(), 64);
    private int leader = -1;
    private int member = -1;

    @AfterEach
    void closeDescriptors() {
        for (int fd : new int[] {member, leader}) {
            if (fd >= 0) {
                assertThat(LIBC.close(fd)).isZero();
            }
        }
    }

    @Test
    void taskClockOfTheCallingThreadCountsItsCpuTimeAndStopsWhenDisabled() {
        long cpuBefore = THREADS.getCurrentThreadCpuTime();
        leader = openSelf(Perf.TYPE_SOFTWARE, Perf.COUNT_SW_TASK_CLOCK, 0, 0);

        spin(50);
        long counted = readSingle(leader);
        long cpu = THREADS.getCurrentThreadCpuTime() - cpuBefore;
        // Both are the scheduler's account of this thread and the counter's window lies inside the JDK's, but they
        // are read through different clocks (perf's task clock, CLOCK_THREAD_CPUTIME_ID): a CI run saw the counter
        // 0.25 ms ahead. Tolerance: 5 ms below (the window's edges), 1 ms above.
        assertThat(counted).as("task-clock ns after spinning for 50 ms of CPU time")
                .isGreaterThan(40_000_000L).isBetween(cpu - 5_000_000L, cpu + 1_000_000L);

        assertThat(LIBC.ioctl(leader, Perf.IOC_DISABLE, 0L)).isZero();
        long disabledAt = readSingle(leader);
        spin(20);
        assertThat(readSingle(leader)).as("a disabled counter stands still").isEqualTo(disabledAt);

        assertThat(LIBC.ioctl(leader, Perf.IOC_RESET, 0L)).isZero();
        assertThat(readSingle(leader)).isZero();
    }

    @Test
    void aGroupStartsDisabledAndReadsAllMembersAtOnce() {
        long format = Perf.FORMAT_GROUP | Perf.FORMAT_TOTAL_TIME_ENABLED | Perf.FORMAT_TOTAL_TIME_RUNNING;
        leader = openSelf(Perf.TYPE_SOFTWARE, Perf.COUNT_SW_TASK_CLOCK, format, Perf.ATTR_DISABLED);
        member = open(Perf.TYPE_SOFTWARE, Perf.COUNT_SW_CONTEXT_SWITCHES, format, 0, leader);

        spin(20);
        assertThat(readGroup()).as("values before the leader is enabled").containsExactly(2, 0, 0);

        assertThat(LIBC.ioctl(leader, Perf.IOC_ENABLE, Perf.IOC_FLAG_GROUP)).isZero();
        spin(30);
        for (int i = 0; i < 5; i++) {
            yieldCpu(); // sleeping switches context, so the second member counts too
        }
        long[] group = readGroup();
        assertThat(group[0]).as("nr").isEqualTo(2);
        assertThat(group[1]).as("task-clock ns").isGreaterThan(10_000_000L);
        assertThat(group[2]).as("context switches").isPositive();

        // Disabled first: an enabled group would count the next preemption between the reset and the read (a CI
        // run on a busy machine read 1 context switch there).
        assertThat(LIBC.ioctl(leader, Perf.IOC_DISABLE, Perf.IOC_FLAG_GROUP)).isZero();
        assertThat(LIBC.ioctl(leader, Perf.IOC_RESET, Perf.IOC_FLAG_GROUP)).isZero();
        assertThat(readGroup()).as("values after the group's reset").containsExactly(2, 0, 0);
    }

    @Test
    void aTracepointFilterIsCheckedByTheKernel() throws Exception {
        Path id = Path.of("/sys/kernel/tracing/events/sched/sched_switch/id");
        assumeTrue(Files.exists(id), "tracefs is not mounted at /sys/kernel/tracing");
        leader = openSelf(Perf.TYPE_TRACEPOINT, Long.parseLong(Files.readString(id).strip()), 0, Perf.ATTR_DISABLED);

        assertThat(LIBC.ioctl(leader, Perf.IOC_SET_FILTER, "no_such_field == 1")).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(LibC.EINVAL);
        assertThat(LIBC.ioctl(leader, Perf.IOC_SET_FILTER, "prev_prio >= 0")).isZero();
        assertThat(LIBC.ioctl(leader, Perf.IOC_SET_FILTER, "prev_prio >= 1")).as("a filter is set once").isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(EEXIST);

        assertThat(LIBC.ioctl(leader, Perf.IOC_ENABLE, 0L)).isZero();
        yieldCpu();
        assertThat(readSingle(leader)).as("switches away from this thread").isPositive();
    }

    @Test
    void failuresReportErrno() {
        assertThat(open(0x7ff0, 0, 0, 0, -1)).isEqualTo(-1);
        assertThat(LibC.errno()).isIn(LibC.ENOENT, LibC.EINVAL);
        assertThat(LIBC.strerror(LibC.ESRCH)).isEqualTo("No such process");
        assertThat(Perf.open(resetAttr(Perf.TYPE_SOFTWARE, Perf.COUNT_SW_TASK_CLOCK, 0, 0), Integer.MAX_VALUE, -1,
                -1, Perf.FLAG_FD_CLOEXEC)).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(LibC.ESRCH);
    }

    private int openSelf(int type, long config, long format, long flags) {
        return open(type, config, format, flags, -1);
    }

    private int open(int type, long config, long format, long flags, int group) {
        return Perf.open(resetAttr(type, config, format, flags), 0, -1, group, Perf.FLAG_FD_CLOEXEC);
    }

    private PerfEventAttr resetAttr(int type, long config, long format, long flags) {
        attr.reset();
        attr.type.set(type);
        attr.config.set(config);
        attr.readFormat.set(format);
        attr.flags.set(flags);
        return attr;
    }

    private long readSingle(int fd) {
        assertThat(LIBC.read(fd, buffer, 8)).isEqualTo(8);
        return buffer.getLong(0);
    }

    /** nr, then one value per member; the two time fields that follow nr are left out. */
    private long[] readGroup() {
        assertThat(LIBC.read(leader, buffer, 5 * 8)).isEqualTo(5 * 8);
        return new long[] {buffer.getLong(0), buffer.getLong(24), buffer.getLong(32)};
    }

    /** Spins until this thread has run for {@code millis} of CPU time, however busy the host's other CPUs are. */
    private static void spin(long millis) {
        long end = THREADS.getCurrentThreadCpuTime() + millis * 1_000_000;
        while (THREADS.getCurrentThreadCpuTime() < end) {
            Thread.onSpinWait();
        }
    }

    private static void yieldCpu() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
