package dev.hvwatch.agent.source.debugfs;

import dev.hvwatch.agent.source.kvmstat.KvmMetric;
import dev.hvwatch.agent.source.kvmstat.StatDescriptor;
import dev.hvwatch.agent.source.kvmstat.StatType;
import dev.hvwatch.agent.source.kvmstat.StatUnit;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a debugfs file does not say about its statistic: type and unit. Debugfs shows a bare number, so the
 * descriptor is rebuilt from the name and the file mode, in this order:
 * <ol>
 *   <li>names ending in {@code _hist} are histograms (whose debugfs file shows only the first bucket): not
 *       exported, as over QMP;</li>
 *   <li>the kernel's instant and peak statistics and its booleans, by name, from the descriptor tables in virt/kvm
 *       and arch/&lt;arch&gt;/kvm ({@code STATS_DESC_ICOUNTER}, {@code _PCOUNTER}, {@code _IBOOLEAN});</li>
 *   <li>a read-only file is an instant statistic: since Linux 5.14, debugfs creates instant statistics 0444 and
 *       cumulative and peak ones 0644 ({@code kvm_stats_debugfs_mode}), so an instant statistic newer than the
 *       table is still a gauge;</li>
 *   <li>everything else is cumulative;</li>
 *   <li>unit: names ending in {@code _ns} are nanoseconds (every {@code STATS_DESC_TIME_NSEC} statistic is named
 *       so), the booleans of step 2 are booleans, all else is a plain count.</li>
 * </ol>
 * The descriptor then goes through the same naming rule as QMP's ({@link KvmMetric}), so that both sources publish
 * the same series.
 */
final class DebugfsStats {
    private static final Set<String> INSTANT = Set.of(
            "pages_4k", "pages_2m", "pages_1g", "lpages", "nx_lpage_splits", "mmu_unsync", // x86 VM
            "num_2M_pages", "num_1G_pages", // powerpc VM
            "pages", "hugepages"); // loongarch VM
    private static final Set<String> PEAK = Set.of("max_mmu_rmap_size", "max_mmu_page_hash_collisions"); // x86 VM
    private static final Set<String> BOOLEAN = Set.of("guest_mode", "blocking"); // x86 vCPU, generic vCPU

    /**
     * Files in the VM and vCPU directories that are not statistics: the vCPU's thread id, x86's rmap histogram
     * table and its LAPIC timer setting. (Names with '-', such as tsc-offset, are never statistics: statistic
     * names are C identifiers.)
     */
    private static final Set<String> NOT_STATISTICS = Set.of("pid", "mmu_rmaps_stat", "lapic_timer_advance_ns");
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private DebugfsStats() {
    }

    /** Whether a file of a VM or vCPU directory holds a statistic (exported or not, see {@link #metric}). */
    static boolean isStatistic(String fileName) {
        return IDENTIFIER.matcher(fileName).matches() && !NOT_STATISTICS.contains(fileName);
    }

    /**
     * The metric of a statistic file, or empty for a histogram.
     *
     * @param readOnly whether the file's mode lacks the owner's write bit
     */
    static Optional<KvmMetric> metric(String name, boolean readOnly) {
        return KvmMetric.of(descriptor(name, readOnly));
    }

    static StatDescriptor descriptor(String name, boolean readOnly) {
        StatType type;
        if (name.endsWith("_hist")) {
            type = StatType.LOG2_HISTOGRAM;
        } else if (PEAK.contains(name)) {
            type = StatType.PEAK;
        } else if (INSTANT.contains(name) || BOOLEAN.contains(name) || readOnly) {
            type = StatType.INSTANT;
        } else {
            type = StatType.CUMULATIVE;
        }
        if (BOOLEAN.contains(name)) {
            return new StatDescriptor(name, type, StatUnit.BOOLEAN, 10, 0);
        }
        if (name.endsWith("_ns")) {
            return new StatDescriptor(name, type, StatUnit.SECONDS, 10, -9);
        }
        return new StatDescriptor(name, type, StatUnit.NONE, 10, 0);
    }
}
