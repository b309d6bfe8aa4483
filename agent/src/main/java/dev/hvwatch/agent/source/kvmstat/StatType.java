package dev.hvwatch.agent.source.kvmstat;

/** How a KVM statistic behaves over time: the type bits of a kernel stats descriptor ({@code KVM_STATS_TYPE_*}). */
public enum StatType {
    /** Only grows (exits, halt_poll_success_ns); cleared only by a write to its debugfs file. */
    CUMULATIVE,
    /** The current value (pages_4k, guest_mode). */
    INSTANT,
    /** The highest value seen (max_mmu_rmap_size). */
    PEAK,
    LINEAR_HISTOGRAM,
    LOG2_HISTOGRAM;

    /** QMP's {@code StatsType} spelling: cumulative, instant, peak, linear-histogram, log2-histogram. */
    public static StatType fromQmp(String name) {
        return switch (name) {
            case "cumulative" -> CUMULATIVE;
            case "instant" -> INSTANT;
            case "peak" -> PEAK;
            case "linear-histogram" -> LINEAR_HISTOGRAM;
            case "log2-histogram" -> LOG2_HISTOGRAM;
            default -> throw new IllegalArgumentException("unknown KVM statistic type '" + name + "'");
        };
    }

    public boolean histogram() {
        return this == LINEAR_HISTOGRAM || this == LOG2_HISTOGRAM;
    }
}
