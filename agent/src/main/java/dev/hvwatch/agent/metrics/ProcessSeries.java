package dev.hvwatch.agent.metrics;

import com.sun.management.UnixOperatingSystemMXBean;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.ToDoubleFunction;

/**
 * The agent's process under the names node_exporter's and the Prometheus clients' process collectors give it:
 * {@code process_cpu_seconds_total}, {@code process_resident_memory_bytes}, {@code process_virtual_memory_bytes},
 * {@code process_open_fds}, {@code process_max_fds}, {@code process_start_time_seconds}, with their help texts.
 *
 * <p>Hand-written rather than the Prometheus client's {@code ProcessMetrics}: that collector reaches the JDK's
 * operating-system bean by reflection, and on every scrape each of its three getters first throws and catches an
 * {@code IllegalAccessException} (the bean's class is not exported) before it finds the public interface, then reads
 * {@code /proc/self/status} twice through a reader: 117 µs and 100 KB allocated a scrape, against 35 µs and 14 KB
 * here ({@code ProcessSeriesBenchmark}, C1). The interface is exported ({@code jdk.management}), so the calls are
 * plain ones.
 */
final class ProcessSeries {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path FDS = Path.of("/proc/self/fd");

    private final UnixOperatingSystemMXBean os;
    private final double startTimeSeconds = ManagementFactory.getRuntimeMXBean().getStartTime() / 1000.0;

    ProcessSeries(UnixOperatingSystemMXBean os) {
        this.os = os;
    }

    /** Registers the series in {@code registry}; none where the JVM has no Unix operating-system bean. */
    static void bindTo(MeterRegistry registry) {
        if (!(ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os)) {
            return;
        }
        ProcessSeries p = new ProcessSeries(os);
        // The registry holds a function counter's owner weakly; the gauges hold it strongly, for all of them.
        FunctionCounter.builder("process.cpu", p, s -> s.os.getProcessCpuTime() / 1e9)
                .description("Total user and system CPU time spent in seconds.").baseUnit("seconds").register(registry);
        gauge(registry, "process.start.time", "seconds", "Start time of the process since unix epoch in seconds.",
                p, s -> s.startTimeSeconds);
        gauge(registry, "process.open.fds", null, "Number of open file descriptors.", p, ProcessSeries::openFds);
        gauge(registry, "process.max.fds", null, "Maximum number of open file descriptors.",
                p, s -> s.os.getMaxFileDescriptorCount());
        // The bean reads the size from /proc/self/stat in native code: one status file read a scrape, not two.
        gauge(registry, "process.virtual.memory", "bytes", "Virtual memory size in bytes.",
                p, s -> s.os.getCommittedVirtualMemorySize());
        gauge(registry, "process.resident.memory", "bytes", "Resident memory size in bytes.",
                p, s -> statusKilobytes("VmRSS:") * 1024);
    }

    /**
     * Since Linux 6.2 the size {@code stat} gives {@code /proc/PID/fd} is the number of open descriptors, counted from
     * the descriptor table; listing the directory instead (the bean's way, and earlier kernels' only one, which give
     * size 0) costs a directory entry per descriptor: 1,668 at 43 VMs (the perf and cgroup files stay open), 9 % of
     * the agent's CPU in a profile.
     */
    double openFds() {
        try {
            long open = Files.size(FDS);
            if (open > 0) {
                return open;
            }
        } catch (IOException e) {
            // Then the bean's listing, as on kernels before 6.2.
        }
        return os.getOpenFileDescriptorCount();
    }

    private static void gauge(MeterRegistry registry, String name, String unit, String help, ProcessSeries owner,
                              ToDoubleFunction<ProcessSeries> value) {
        Gauge.builder(name, owner, value).description(help).baseUnit(unit).strongReference(true).register(registry);
    }

    /** A "Name:   1234 kB" line of /proc/self/status, or NaN (the series then shows NaN) if the kernel has none. */
    static double statusKilobytes(String field) {
        String status;
        try {
            status = "\n" + new String(Files.readAllBytes(STATUS), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return Double.NaN;
        }
        int at = status.indexOf("\n" + field);
        int end = at < 0 ? -1 : status.indexOf(" kB\n", at);
        if (end < 0) {
            return Double.NaN;
        }
        try {
            return Long.parseLong(status.substring(at + 1 + field.length(), end).trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
