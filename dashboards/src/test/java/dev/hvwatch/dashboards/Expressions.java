package dev.hvwatch.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Every PromQL expression in the dashboards and the rule file, with where it stands. */
final class Expressions {
    static final Path GRAFANA = Path.of("src/main/grafana");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.*),\\s*(\\w+)\\)");
    private static final Pattern METRIC =
            Pattern.compile("\\b(hvwatch_[a-z0-9_]+|hvwatch:[a-z0-9_:]+|process_[a-z0-9_]+|jvm_[a-z0-9_]+)");

    /** @param where file and panel (or rule) title, for failure messages */
    record Expression(String where, String promql) {
        /**
         * The expression as Prometheus takes it: Grafana's variables replaced by what "All" and a short range give
         * ({@code $__rate_interval} → 1m), and a variable query {@code label_values(Q, label)} by its query Q.
         */
        String resolved() {
            String q = promql;
            Matcher lv = LABEL_VALUES.matcher(q);
            if (lv.matches()) {
                q = lv.group(1);
            }
            return q.replace("$__rate_interval", "1m").replace("$instance", ".*").replace("$vm", ".*");
        }

        Set<String> metrics() {
            Set<String> names = new TreeSet<>();
            Matcher m = METRIC.matcher(promql);
            while (m.find()) {
                names.add(m.group(1));
            }
            return names;
        }
    }

    private Expressions() {
    }

    static List<Path> dashboards() throws IOException {
        try (Stream<Path> files = Files.list(GRAFANA)) {
            return files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        }
    }

    static JsonNode read(Path dashboard) throws IOException {
        return new ObjectMapper().readTree(dashboard.toFile());
    }

    static List<Expression> all() throws IOException {
        List<Expression> all = new ArrayList<>();
        for (Path d : dashboards()) {
            JsonNode json = read(d);
            for (JsonNode v : json.path("templating").path("list")) {
                if (v.path("type").asText().equals("query")) {
                    all.add(new Expression(d.getFileName() + " variable $" + v.path("name").asText(),
                            v.path("query").path("query").asText()));
                }
            }
            for (JsonNode p : json.path("panels")) {
                for (JsonNode t : p.path("targets")) {
                    all.add(new Expression(d.getFileName() + " panel '" + p.path("title").asText() + "'",
                            t.path("expr").asText()));
                }
            }
        }
        for (JsonNode group : new YAMLMapper().readTree(RulesTest.RULES.toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String name = rule.has("record") ? rule.path("record").asText() : rule.path("alert").asText();
                all.add(new Expression(RulesTest.RULES.getFileName() + " rule " + name, rule.path("expr").asText()));
            }
        }
        return all;
    }

    /** The names the rule file records. */
    static Set<String> recorded() throws IOException {
        Set<String> names = new TreeSet<>();
        for (JsonNode group : new YAMLMapper().readTree(RulesTest.RULES.toFile()).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.has("record")) {
                    names.add(rule.path("record").asText());
                }
            }
        }
        return names;
    }
}
