package dev.hvwatch.agent.source.tracepoint;

import dev.hvwatch.agent.source.perf.PerfEventSpec;
import dev.hvwatch.nativebind.Perf;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code iommu:io_page_fault} tracepoint, which {@code report_iommu_fault()} fires for every fault an IOMMU driver
 * reports through it, before any log rate limiting. Its record holds {@code device} and {@code driver} (strings),
 * {@code iova} and {@code flags} ({@code include/trace/events/iommu.h}, unchanged since Linux 3.13). Counting mode
 * gives no record fields, only hits; the kernel's event filter can compare the {@code device} string, so one event
 * per device with {@code device == "0000:3b:00.0"} counts that device's faults, and an unfiltered one counts them all.
 *
 * <p>Which drivers report through it: AMD-Vi from Linux 5.16 (commit 9f78e446bde8; a change posted in November 2025
 * removes that call again), Arm SMMU v1/v2 and several SoC IOMMUs. Intel VT-d's {@code dmar_fault} prints its faults
 * and never calls it, so on Intel hosts the tracepoint stays at 0 and the kernel log is the only record.
 */
public final class IommuFaultTracepoint {
    static final String SYSTEM = "iommu";
    static final String EVENT = "io_page_fault";
    static final String DEVICE_FIELD = "device";
    /** Device names a filter can hold without quoting trouble: PCI addresses and platform device names. */
    private static final Pattern DEVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9:._-]{0,63}");

    private final String describe;
    private final long id;
    private final boolean perDevice;

    private IommuFaultTracepoint(String describe, long id, boolean perDevice) {
        this.describe = describe;
        this.id = id;
        this.perDevice = perDevice;
    }

    /**
     * Reads the event's id and format.
     *
     * @param tracefsRoot where tracefs is mounted, normally {@code /sys/kernel/tracing}
     * @throws IOException saying what is missing (tracefs, the iommu events: a kernel without CONFIG_IOMMU_API), or
     *                     a {@link TracepointFormatException} naming the file that does not parse
     */
    public static IommuFaultTracepoint load(Path tracefsRoot) throws IOException {
        Tracefs tracefs = new Tracefs(tracefsRoot, SYSTEM);
        tracefs.requireMounted();
        if (!tracefs.has(EVENT)) {
            throw new IOException(tracefs.file(EVENT, "id").getParent() + " does not exist: this kernel has no "
                    + tracefs.describe(EVENT) + " tracepoint (it comes with the kernel's IOMMU support, "
                    + "CONFIG_IOMMU_API)");
        }
        long id = tracefs.id(EVENT);
        Optional<TracepointFormat.Field> device = tracefs.format(EVENT).field(DEVICE_FIELD);
        return new IommuFaultTracepoint(tracefs.describe(EVENT), id,
                device.map(TracepointFormat.Field::isString).orElse(false));
    }

    /** Whether the format has the {@code device} string a filter can match, so faults can be counted per device. */
    public boolean perDevice() {
        return perDevice;
    }

    /** Every fault, unfiltered. */
    public PerfEventSpec all() {
        return new PerfEventSpec(describe, Perf.TYPE_TRACEPOINT, id, null);
    }

    /**
     * One device's faults, or empty when its name cannot go into a filter safely (then its faults count only in
     * {@link #all()}).
     */
    public Optional<PerfEventSpec> device(String name) {
        if (!perDevice || !DEVICE_NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        return Optional.of(new PerfEventSpec(describe, Perf.TYPE_TRACEPOINT, id, DEVICE_FIELD + " == \"" + name
                + "\""));
    }
}
