package dev.hvwatch.agent.source.kvmstat;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The metric a KVM statistic becomes. The naming rule below is a contract with dashboards and rules (the metric
 * names README.md lists under "Metrics"): every source of KVM statistics (QMP, debugfs) maps through it, so a series
 * has the same name whichever source fed it.
 *
 * <h2>Naming rule</h2>
 * <ol>
 *   <li><b>Name</b>: {@code hvwatch.kvm.} followed by the kernel's statistic name in lower case; any other
 *       character outside {@code [a-z0-9_]} becomes {@code _} (kernel names are C identifiers, powerpc's
 *       {@code num_2M_pages} is the one with capitals).</li>
 *   <li><b>Unit</b>: the value is converted to the descriptor's unit (raw x base^exponent), which becomes the
 *       meter's base unit, and Prometheus appends it ({@code _seconds}, {@code _bytes}, {@code _cycles}). A trailing
 *       word of the kernel name that spells the raw scale or the unit ({@code _ns}, {@code _us}, {@code _ms},
 *       {@code _seconds} for seconds, {@code _bytes} for bytes, {@code _cycles} for cycles) is dropped first, so the
 *       unit is named once and in base units. Booleans are 0/1 and plain counts ({@code none}) have no unit.</li>
 *   <li><b>Type</b>: cumulative becomes a counter (Prometheus appends {@code _total}); instant and peak become
 *       gauges (a peak is a high-water mark: it never counts anything).</li>
 *   <li><b>Labels</b>: {@code vm}; per-vCPU statistics add {@code vcpu} (the vCPU index). A source that can only
 *       read the sum over a VM's vCPUs (debugfs) publishes it without {@code vcpu}, so that
 *       {@code sum without (vcpu)} means the same for every VM.</li>
 *   <li><b>Histograms</b> (linear and log2) are not exported. Each is 32 or more buckets per vCPU, which as
 *       Prometheus buckets would multiply a VM's KVM series several times over, and the totals they are built from
 *       are exported already: the halt_*_hist histograms bin the same halts whose counts and times are
 *       halt_successful_poll, halt_attempted_poll and halt_*_ns.</li>
 * </ol>
 *
 * <h2>Examples</h2>
 * <pre>
 * exits                 cumulative                    hvwatch_kvm_exits_total{vm,vcpu}
 * io_exits              cumulative                    hvwatch_kvm_io_exits_total{vm,vcpu}
 * halt_poll_success_ns  cumulative, seconds, 10^-9     hvwatch_kvm_halt_poll_success_seconds_total{vm,vcpu}
 * guest_mode            instant, boolean              hvwatch_kvm_guest_mode{vm,vcpu}              0 or 1
 * pages_4k              instant                       hvwatch_kvm_pages_4k{vm}
 * max_mmu_rmap_size     peak                          hvwatch_kvm_max_mmu_rmap_size{vm}
 * remote_tlb_flush      cumulative                    hvwatch_kvm_remote_tlb_flush_total{vm}
 * halt_wait_hist        log2-histogram, seconds       (not exported)
 * </pre>
 *
 * @param name       Micrometer's dotted name, e.g. {@code hvwatch.kvm.halt_poll_success}
 * @param baseUnit   {@code seconds}, {@code bytes}, {@code cycles}, or null
 * @param cumulative counter (true) or gauge
 * @param scale      what a raw value is multiplied by to be in {@code baseUnit}
 * @param help       one sentence, the same whichever source describes the statistic
 */
public record KvmMetric(String name, String baseUnit, boolean cumulative, double scale, String help) {
    public static final String PREFIX = "hvwatch.kvm.";

    private static final List<String> SECONDS_WORDS = List.of("_ns", "_us", "_ms", "_seconds");
    private static final List<String> UNIT_WORDS =
            Stream.concat(SECONDS_WORDS.stream(), Stream.of("_bytes", "_cycles")).toList();

    /** The metric for a statistic, or empty for a histogram (see the class comment). */
    public static Optional<KvmMetric> of(StatDescriptor stat) {
        if (stat.type().histogram()) {
            return Optional.empty();
        }
        String name = sanitize(stat.name());
        String baseUnit = switch (stat.unit()) {
            case SECONDS -> "seconds";
            case BYTES -> "bytes";
            case CYCLES -> "cycles";
            case NONE, BOOLEAN -> null;
        };
        List<String> unitWords = switch (stat.unit()) {
            case SECONDS -> SECONDS_WORDS;
            case BYTES -> List.of("_bytes");
            case CYCLES -> List.of("_cycles");
            case NONE, BOOLEAN -> List.of();
        };
        for (String word : unitWords) {
            if (name.endsWith(word) && name.length() > word.length()) {
                name = name.substring(0, name.length() - word.length());
                break;
            }
        }
        double scale = stat.exponent() == 0 ? 1 : Math.pow(stat.base(), stat.exponent());
        return Optional.of(new KvmMetric(PREFIX + name, baseUnit, stat.type() == StatType.CUMULATIVE, scale,
                help(stat)));
    }

    /** Whether a metric is a KVM statistic's (other hvwatch.kvm.* metrics, like the tracepoints', have more dots). */
    public static boolean isStatistic(String metricName) {
        return metricName.startsWith(PREFIX) && metricName.indexOf('.', PREFIX.length()) < 0;
    }

    /**
     * Whether the metric {@code metricName} is the one this rule makes of the KVM statistic {@code statName}, whatever
     * its unit: {@code halt_poll_success_ns} names {@code hvwatch.kvm.halt_poll_success}.
     */
    public static boolean names(String metricName, String statName) {
        String name = PREFIX + sanitize(statName);
        if (name.equals(metricName)) {
            return true;
        }
        for (String word : UNIT_WORDS) {
            if (name.endsWith(word) && name.substring(0, name.length() - word.length()).equals(metricName)) {
                return true;
            }
        }
        return false;
    }

    private static String help(StatDescriptor stat) {
        String kind = switch (stat.type()) {
            case CUMULATIVE -> "cumulative";
            case INSTANT -> "current value";
            case PEAK -> "highest value seen";
            case LINEAR_HISTOGRAM, LOG2_HISTOGRAM -> "histogram";
        };
        String unit = switch (stat.unit()) {
            case SECONDS -> ", seconds";
            case BYTES -> ", bytes";
            case CYCLES -> ", cycles";
            case BOOLEAN -> ", 0 or 1";
            case NONE -> "";
        };
        return "KVM statistic " + stat.name() + " (" + kind + unit + ")";
    }

    private static String sanitize(String statName) {
        StringBuilder b = new StringBuilder(statName.length());
        for (int i = 0; i < statName.length(); i++) {
            char c = Character.toLowerCase(statName.charAt(i));
            b.append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
        }
        return b.toString();
    }
}
