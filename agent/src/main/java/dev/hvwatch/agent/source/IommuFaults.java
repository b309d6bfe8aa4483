package dev.hvwatch.agent.source;

import dev.hvwatch.agent.ring.Series;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code hvwatch_iommu_faults_total}, which two sources count: the kernel log ({@code source="kmsg"}: the fault
 * lines the kernel printed, by device and reason, and the ones its rate limiter suppressed) and the
 * {@code iommu:io_page_fault} tracepoint ({@code source="tracepoint"}: every fault reported through it, by device).
 * One name and one help text for both, so that a query or a rule can compare them.
 */
public final class IommuFaults {
    public static final String METRIC = "hvwatch.iommu.faults";
    private static final String HELP = "IOMMU faults the kernel reported, by device and by where they were counted "
            + "(source: kmsg, lines of the kernel log, which rate-limits them; tracepoint, iommu:io_page_fault, every "
            + "fault of the drivers that report through it)";

    private IommuFaults() {
    }

    /** @param reason the kernel log's fault reason, or null for the tracepoint, which has none */
    public static Series series(String device, String reason, String source) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("device", device);
        if (reason != null) {
            labels.put("reason", reason);
        }
        labels.put("source", source);
        return new Series(METRIC, HELP, null, true, labels);
    }
}
