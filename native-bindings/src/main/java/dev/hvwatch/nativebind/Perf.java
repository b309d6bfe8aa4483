package dev.hvwatch.nativebind;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Variadic;

/**
 * perf_event_open(2), which the C library does not wrap: it is called through {@code syscall(2)}. The constants
 * are those of {@code include/uapi/linux/perf_event.h}; the ioctls on the returned descriptor go through
 * {@link LibC#ioctl}.
 */
public interface Perf {

    int TYPE_HARDWARE = 0;
    int TYPE_SOFTWARE = 1;
    int TYPE_TRACEPOINT = 2;

    /** {@code PERF_COUNT_HW_*}, the generic hardware events a PMU driver maps to its own. */
    long COUNT_HW_CPU_CYCLES = 0;
    long COUNT_HW_INSTRUCTIONS = 1;
    long COUNT_HW_CACHE_MISSES = 3;

    /** {@code PERF_COUNT_SW_*}, counted by the kernel itself on any machine. */
    long COUNT_SW_TASK_CLOCK = 1;
    long COUNT_SW_CONTEXT_SWITCHES = 3;

    /** {@code PERF_FORMAT_*} for {@link PerfEventAttr#readFormat}. */
    long FORMAT_TOTAL_TIME_ENABLED = 1;
    long FORMAT_TOTAL_TIME_RUNNING = 1 << 1;
    long FORMAT_GROUP = 1 << 3;

    /** Bits of {@link PerfEventAttr#flags}. */
    long ATTR_DISABLED = 1;
    long ATTR_INHERIT = 1 << 1;

    /** {@code PERF_FLAG_FD_CLOEXEC}: the descriptor does not leak into processes the agent starts. */
    long FLAG_FD_CLOEXEC = 1 << 3;

    /** ioctl requests: {@code _IO('$', n)} and, for the filter, {@code _IOW('$', 6, char *)}. */
    long IOC_ENABLE = 0x2400;
    long IOC_DISABLE = 0x2401;
    long IOC_RESET = 0x2403;
    long IOC_SET_FILTER = 0x40082406L;
    /** ioctl argument: apply ENABLE, DISABLE or RESET to the whole group the descriptor leads. */
    long IOC_FLAG_GROUP = 1;

    /**
     * {@code long syscall(long number, ...)}. The kernel reads the arguments from registers, so the variadic
     * declaration only has to tell jnr-ffi how many arguments are fixed.
     */
    @SaveError
    @Variadic(fixedCount = 1)
    long syscall(long number, @In PerfEventAttr attr, long pid, long cpu, long groupFd, long flags);

    /**
     * perf_event_open(2): a descriptor counting {@code attr}'s event for thread {@code pid} (0: the caller) on
     * {@code cpu} (-1: any), in the group led by {@code groupFd} (-1: a new group); -1 and {@link LibC#errno()}
     * on failure.
     */
    static int open(PerfEventAttr attr, long pid, int cpu, int groupFd, long flags) {
        return (int) Holder.INSTANCE.syscall(Holder.NR_PERF_EVENT_OPEN, attr, pid, cpu, groupFd, flags);
    }

    final class Holder {
        private static final Perf INSTANCE = LibraryLoader.create(Perf.class).load("c");
        /** The number differs per architecture ({@code arch/x86/entry/syscalls}, {@code asm-generic/unistd.h}). */
        private static final long NR_PERF_EVENT_OPEN = switch (Platform.getNativePlatform().getCPU()) {
            case X86_64 -> 298;
            case AARCH64, RISCV64, LOONGARCH64 -> 241;
            default -> throw new UnsupportedOperationException(
                    "perf_event_open: syscall number unknown for " + Platform.getNativePlatform().getCPU());
        };

        private Holder() {
        }
    }
}
