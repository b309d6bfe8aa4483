package dev.hvwatch.agent.top;

import dev.hvwatch.agent.top.TopTable.FiringRule;
import dev.hvwatch.agent.top.TopTable.Rate;
import dev.hvwatch.agent.top.TopTable.VmRow;
import dev.hvwatch.protocol.logging.ControlCharacters;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Lays a {@link TopTable} out as the lines of a terminal of a given size: a title, the host's alerts, the column
 * header, one line per VM (as many as fit) and a line of keys or status. Plain ASCII, so that it reads the same over
 * any SSH session and locale; every line fits the width.
 */
public final class Screen {
    /** The line that holds the column titles, which the terminal shows in reverse video. */
    public static final int HEADER_LINE = 2;
    /** The fewest lines and columns laid out; a smaller terminal sees the top-left part. */
    static final int MIN_WIDTH = 60;
    static final int MIN_HEIGHT = 6;
    private static final int EXITS_WIDTH = 8;
    private static final int PERCENT_WIDTH = 6;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT);
    private static final String KEYS = "e s c a n: sort  r: reverse  q: quit";

    private Screen() {
    }

    /**
     * @param view   the order and the refresh settings being shown
     * @param clock  the wall-clock time of the scrape, shown top right
     * @param status a problem to show instead of the keys (the agent unreachable, say), or null
     */
    public static List<String> render(TopTable table, View view, int width, int height, String clock,
                                      String status) {
        return layout(table, view, Math.max(width, MIN_WIDTH), Math.max(height, MIN_HEIGHT), clock, status).stream()
                .limit(height)
                .map(line -> line.length() > width ? line.substring(0, width) : line)
                .toList();
    }

    private static List<String> layout(TopTable table, View view, int width, int height, String clock,
                                       String status) {
        List<String> lines = new ArrayList<>();
        lines.add(spread("hvwatch top  " + view.source() + "  " + plural(table.vms().size(), "VM") + "  every "
                + view.every(), clock, width));
        lines.add(fit("host: " + (table.hostAlerts().isEmpty() ? "no alerts firing"
                : firingCount(table.hostAlerts()) + " firing: " + table.hostAlerts().stream()
                        .map(a -> a.rule() + " (" + a.severity().wireName() + ")")
                        .collect(Collectors.joining(", "))), width));

        int longest = table.vms().stream().mapToInt(r -> ControlCharacters.escape(r.vm()).length()).max().orElse(0);
        int nameWidth = Math.min(Math.max(8, longest), Math.max(8, width / 4));
        int rest = width - nameWidth - EXITS_WIDTH - 2 * PERCENT_WIDTH - 5;
        int exitsWidth = rest * 3 / 5;
        Columns columns = new Columns(nameWidth, exitsWidth, rest - exitsWidth);
        lines.add(columns.line("VM", "EXITS/s", "STEAL%", "CPU%", "TOP EXITS/s", "ALERTS"));

        List<VmRow> rows = table.vms().stream().sorted(view.sort().order(view.reversed())).toList();
        int room = height - lines.size() - 1;
        if (rows.isEmpty() && status == null) {
            lines.add("no VMs: the agent watches no QEMU/KVM guest on this host");
        }
        for (int i = 0; i < rows.size() && lines.size() < height - 1; i++) {
            boolean lastRoom = i == room - 1 && rows.size() > room;
            lines.add(lastRoom ? "+" + plural(rows.size() - i, "more VM") + " (a taller terminal shows them)"
                    : columns.row(rows.get(i)));
        }
        while (lines.size() < height - 1) {
            lines.add("");
        }
        String order = "sorted by " + view.sort().label() + (view.reversed() ? ", reversed" : "");
        String note = status != null ? status : table.measured() ? null : "measuring: rates at the next refresh";
        lines.add(note != null ? fit(note, width) : spread(KEYS, order, width));
        return lines;
    }

    /** What is being watched and how: the agent, the refresh period, the order. */
    public record View(String source, String every, SortKey sort, boolean reversed) {
        public View sortedBy(SortKey key) {
            return new View(source, every, key, false);
        }

        public View reverse() {
            return new View(source, every, sort, !reversed);
        }
    }

    private record Columns(int name, int exits, int alerts) {
        String line(String vm, String exitsPerSecond, String steal, String cpu, String topExits, String firing) {
            return String.join(" ", left(vm, name), right(exitsPerSecond, EXITS_WIDTH), right(steal, PERCENT_WIDTH),
                    right(cpu, PERCENT_WIDTH), left(topExits, exits), fit(firing, alerts)).stripTrailing();
        }

        String row(VmRow r) {
            return line(r.vm(), count(r.exitsPerSecond()), percent(r.steal()), percent(r.cpuShare()),
                    rates(r.topExits(), exits), r.alerts().isEmpty() ? "" : firingCount(r.alerts()) + " "
                            + r.alerts().stream().map(FiringRule::rule).collect(Collectors.joining(",")));
        }
    }

    /** As many of the busiest exit kinds as fit, whole. */
    private static String rates(List<Rate> rates, int width) {
        StringBuilder out = new StringBuilder();
        for (Rate r : rates) {
            String entry = (out.length() == 0 ? "" : " ") + r.what() + " " + count(r.perSecond());
            if (out.length() + entry.length() > width) {
                break;
            }
            out.append(entry);
        }
        return out.toString();
    }

    private static int firingCount(List<FiringRule> alerts) {
        return alerts.stream().mapToInt(FiringRule::count).sum();
    }

    /** Counts per second in at most 6 characters: 950, 12.3k, 4.6M. */
    static String count(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (v < 1000) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return v < 1e6 ? String.format(Locale.ROOT, "%.1fk", v / 1e3) : String.format(Locale.ROOT, "%.1fM", v / 1e6);
    }

    /** The wall-clock time as the title line shows it. */
    public static String clockNow() {
        return LocalTime.now().format(CLOCK);
    }

    static String percent(double ratio) {
        return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.1f", ratio * 100);
    }

    private static String plural(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    private static String spread(String left, String right, int width) {
        int gap = width - left.length() - right.length();
        return gap >= 1 ? left + " ".repeat(gap) + right : fit(left, width);
    }

    private static String left(String s, int width) {
        String cut = fit(s, width);
        return cut + " ".repeat(width - cut.length());
    }

    private static String right(String s, int width) {
        String cut = fit(s, width);
        return " ".repeat(width - cut.length()) + cut;
    }

    /**
     * Cut to the width, a '~' marking where. Names come from the guests (VM names, device ids), so their control
     * characters are escaped first: an ESC would otherwise drive the operator's terminal.
     */
    static String fit(String s, int width) {
        String shown = ControlCharacters.escape(s);
        return shown.length() <= width ? shown : shown.substring(0, Math.max(0, width - 1)) + "~";
    }
}
