package dev.hvwatch.agent.source.kvmstat;

/** What a KVM statistic measures: the unit bits of a kernel stats descriptor ({@code KVM_STATS_UNIT_*}). */
public enum StatUnit {
    NONE,
    BYTES,
    SECONDS,
    CYCLES,
    BOOLEAN;

    /** QMP's {@code StatsUnit} spelling; QMP leaves the unit out for plain counts, hence null means NONE. */
    public static StatUnit fromQmp(String name) {
        if (name == null) {
            return NONE;
        }
        return switch (name) {
            case "bytes" -> BYTES;
            case "seconds" -> SECONDS;
            case "cycles" -> CYCLES;
            case "boolean" -> BOOLEAN;
            default -> throw new IllegalArgumentException("unknown KVM statistic unit '" + name + "'");
        };
    }
}
