package dev.hvwatch.agent.source;

import java.util.BitSet;

/**
 * A set of CPUs in the kernel's list format ({@code 0-3,8,10-11}: {@code Cpus_allowed_list},
 * {@code /sys/devices/system/cpu/online}, {@code thread_siblings_list}, libvirt's {@code cpuset}, which may also
 * exclude: {@code 0-7,^3}).
 */
public final class CpuList {
    private final BitSet cpus;

    private CpuList(BitSet cpus) {
        this.cpus = cpus;
    }

    /** @throws IllegalArgumentException naming the part that is not a CPU number or range */
    public static CpuList parse(String text) {
        BitSet cpus = new BitSet();
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            return new CpuList(cpus);
        }
        for (String part : trimmed.split(",")) {
            boolean exclude = part.startsWith("^");
            String range = exclude ? part.substring(1) : part;
            int dash = range.indexOf('-');
            try {
                int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1));
                if (from < 0 || to < from) {
                    throw new IllegalArgumentException("'" + part + "' is not a CPU range in '" + trimmed + "'");
                }
                if (exclude) {
                    cpus.clear(from, to + 1);
                } else {
                    cpus.set(from, to + 1);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + part + "' is not a CPU number or range in '" + trimmed + "'");
            }
        }
        return new CpuList(cpus);
    }

    public int count() {
        return cpus.cardinality();
    }

    public boolean isEmpty() {
        return cpus.isEmpty();
    }

    public boolean contains(int cpu) {
        return cpus.get(cpu);
    }

    public CpuList union(CpuList other) {
        BitSet b = (BitSet) cpus.clone();
        b.or(other.cpus);
        return new CpuList(b);
    }

    public CpuList intersection(CpuList other) {
        BitSet b = (BitSet) cpus.clone();
        b.and(other.cpus);
        return new CpuList(b);
    }

    public int[] toArray() {
        return cpus.stream().toArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuList other && cpus.equals(other.cpus);
    }

    @Override
    public int hashCode() {
        return cpus.hashCode();
    }

    /** The kernel's list format, ranges collapsed: {@code 0-3,8}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        int from = cpus.nextSetBit(0);
        while (from >= 0) {
            int to = cpus.nextClearBit(from) - 1;
            s.append(s.isEmpty() ? "" : ",").append(from);
            if (to > from) {
                s.append('-').append(to);
            }
            from = cpus.nextSetBit(to + 1);
        }
        return s.toString();
    }
}
