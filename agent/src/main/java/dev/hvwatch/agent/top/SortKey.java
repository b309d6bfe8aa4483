package dev.hvwatch.agent.top;

import dev.hvwatch.agent.top.TopTable.VmRow;
import java.util.Comparator;
import java.util.function.ToDoubleFunction;

/** The orders {@code top} sorts VMs in, each with its key; busiest first, unknown figures last. */
public enum SortKey {
    EXITS('e', "exits/s", VmRow::exitsPerSecond),
    STEAL('s', "steal", VmRow::steal),
    CPU('c', "CPU", VmRow::cpuShare),
    ALERTS('a', "alerts", row -> row.firing()),
    NAME('n', "name", null);

    private final char key;
    private final String label;
    private final ToDoubleFunction<VmRow> figure;

    SortKey(char key, String label, ToDoubleFunction<VmRow> figure) {
        this.key = key;
        this.label = label;
        this.figure = figure;
    }

    public char key() {
        return key;
    }

    public String label() {
        return label;
    }

    /** The key bound to {@code c}, or null. */
    public static SortKey forKey(int c) {
        for (SortKey k : values()) {
            if (k.key == c) {
                return k;
            }
        }
        return null;
    }

    /** Busiest first (names A to Z); {@code reversed} turns that round, unknown figures staying last. */
    public Comparator<VmRow> order(boolean reversed) {
        Comparator<VmRow> byName = Comparator.comparing(VmRow::vm);
        if (figure == null) {
            return reversed ? byName.reversed() : byName;
        }
        Comparator<VmRow> busiestFirst = (a, b) -> Double.compare(known(b), known(a));
        Comparator<VmRow> byFigure = reversed ? busiestFirst.reversed() : busiestFirst;
        Comparator<VmRow> unknownLast = Comparator.comparing(row -> Double.isNaN(figure.applyAsDouble(row)));
        return unknownLast.thenComparing(byFigure).thenComparing(byName);
    }

    private double known(VmRow row) {
        double v = figure.applyAsDouble(row);
        return Double.isNaN(v) ? 0 : v;
    }
}
