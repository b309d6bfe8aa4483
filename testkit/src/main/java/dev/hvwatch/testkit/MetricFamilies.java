package dev.hvwatch.testkit;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric families of Prometheus text expositions as a Markdown table: name with its label names, type and help,
 * in name order. KVM statistics, whose names and help the kernel's statistics give, are left to their family row
 * in docs/metrics.md ({@code hvwatch_kvm_<stat>}).
 */
public final class MetricFamilies {
    private static final Pattern HELP = Pattern.compile("# HELP (\\S+) (.*)");
    private static final Pattern TYPE = Pattern.compile("# TYPE (\\S+) (\\S+)");
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? \\S+");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final String KVM_STATISTIC = "KVM statistic ";

    private record Family(String help, String type, TreeSet<String> labels) {
    }

    private MetricFamilies() {
    }

    public static String markdown(List<String> expositions) {
        Map<String, Family> families = new TreeMap<>();
        for (String text : expositions) {
            for (String line : text.split("\n")) {
                Matcher help = HELP.matcher(line);
                Matcher type = TYPE.matcher(line);
                Matcher sample = SAMPLE.matcher(line);
                if (help.matches()) {
                    families.putIfAbsent(help.group(1), new Family(help.group(2).replace("\\n", " "), null,
                            new TreeSet<>()));
                } else if (type.matches()) {
                    Family f = families.getOrDefault(type.group(1), new Family("", null, new TreeSet<>()));
                    families.put(type.group(1), new Family(f.help(), type.group(2), f.labels()));
                } else if (sample.matches() && sample.group(2) != null && families.containsKey(sample.group(1))) {
                    Matcher label = LABEL.matcher(sample.group(2));
                    while (label.find()) {
                        families.get(sample.group(1)).labels().add(label.group(1));
                    }
                }
            }
        }
        StringBuilder out = new StringBuilder("| series | type | help |\n| --- | --- | --- |\n");
        families.forEach((name, f) -> {
            if (!f.help().startsWith(KVM_STATISTIC)) {
                String labels = f.labels().isEmpty() ? "" : "{" + String.join(",", f.labels()) + "}";
                out.append("| `").append(name).append(labels).append("` | ").append(f.type()).append(" | ")
                        .append(f.help().replace("|", "\\|")).append(" |\n");
            }
        });
        return out.toString();
    }
}
