package dev.hvwatch.agent.rules;

import dev.hvwatch.agent.rules.expr.Scope;
import dev.hvwatch.protocol.config.Durations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The operators' runbooks, {@code docs/runbooks/<rule-id>.md}, held against a rule pack. Each runbook opens with its
 * rule's facts as the pack states them (id, title, description, severity, category, NIST items, condition, {@code for},
 * resolution, message, evidence), generated here between two markers so that they cannot drift from the pack; the
 * operator's part below them is written by hand in the Meaning / Impact / Diagnosis / Mitigation form. The index,
 * {@code docs/runbooks/README.md}, holds a generated table of every rule. Alerts the agent raises itself, outside the
 * pack ({@code agent-spool-overflow}), have runbooks too, written wholly by hand.
 */
final class Runbooks {
    static final String FACTS_BEGIN = "<!-- rule facts: generated from the rule pack by RunbooksTest "
            + "(-Drunbooks.update=true rewrites them); change the pack, not this block -->";
    static final String FACTS_END = "<!-- end of rule facts -->";
    static final String INDEX_BEGIN = "<!-- rule index: generated from the rule pack by RunbooksTest "
            + "(-Drunbooks.update=true rewrites it) -->";
    static final String INDEX_END = "<!-- end of rule index -->";
    static final String INDEX = "README.md";
    static final List<String> SECTIONS = List.of("## Meaning", "## Impact", "## Diagnosis", "## Mitigation");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)#:]+\\.md)(?:#[^)]*)?\\)");
    private static final Map<String, String> FIELD_NAMES = Map.of("vm", "VM", "device", "device", "type",
            "notice type", "uuid", "VM UUID", "message", "message");

    private Runbooks() {
    }

    /**
     * Everything in {@code dir} that disagrees with {@code pack} and the rules the agent raises itself
     * ({@code builtIn}), one sentence each; empty when all agree.
     */
    static List<String> problems(Path dir, RulePack pack, Set<String> builtIn) throws IOException {
        List<String> problems = new ArrayList<>();
        Set<String> ids = pack.rules().stream().map(CompiledRule::id).collect(Collectors.toSet());
        ids.addAll(builtIn);
        Set<String> files = runbookFiles(dir);
        for (String rule : builtIn) {
            if (files.contains(rule)) {
                sections(dir.resolve(rule + ".md"), problems);
            } else {
                problems.add("rule " + rule + " has no runbook " + dir.resolve(rule + ".md"));
            }
        }
        for (CompiledRule rule : pack.rules()) {
            Path file = dir.resolve(rule.id() + ".md");
            if (!files.contains(rule.id())) {
                problems.add("rule " + rule.id() + " has no runbook " + file);
                continue;
            }
            String text = Files.readString(file);
            String stated = between(text, FACTS_BEGIN, FACTS_END);
            if (stated == null) {
                problems.add(file + ": no rule facts between '" + FACTS_BEGIN + "' and '" + FACTS_END + "'");
            } else if (!stated.equals(facts(rule))) {
                problems.add(file + ": the rule facts differ from the pack's; expected:\n" + facts(rule)
                        + "\nfound:\n" + stated);
            }
            sections(file, problems);
        }
        for (String name : files) {
            if (!ids.contains(name)) {
                problems.add(dir.resolve(name + ".md") + ": no rule " + name + " in the pack");
            }
        }
        Path index = dir.resolve(INDEX);
        String table = Files.exists(index) ? between(Files.readString(index), INDEX_BEGIN, INDEX_END) : null;
        if (table == null) {
            problems.add(index + ": no rule index between '" + INDEX_BEGIN + "' and '" + INDEX_END + "'");
        } else if (!table.equals(index(pack))) {
            problems.add(index + ": the rule index differs from the pack's; expected:\n" + index(pack) + "\nfound:\n"
                    + table);
        }
        for (String name : allMarkdown(dir)) {
            Matcher m = LINK.matcher(Files.readString(dir.resolve(name)));
            while (m.find()) {
                if (!Files.exists(dir.resolve(m.group(1)))) {
                    problems.add(dir.resolve(name) + ": links to " + m.group(1) + ", which does not exist");
                }
            }
        }
        return problems;
    }

    /** Rewrites the generated parts from the pack: each existing runbook's facts (added on top if missing), the index. */
    static void update(Path dir, RulePack pack) throws IOException {
        for (CompiledRule rule : pack.rules()) {
            Path file = dir.resolve(rule.id() + ".md");
            if (Files.exists(file)) {
                Files.writeString(file, replace(Files.readString(file), FACTS_BEGIN, FACTS_END, facts(rule)));
            }
        }
        Path index = dir.resolve(INDEX);
        Files.writeString(index, replace(Files.readString(index), INDEX_BEGIN, INDEX_END, index(pack)));
    }

    /** Adds to {@code problems} each of the four sections {@code file} lacks or has out of order. */
    private static void sections(Path file, List<String> problems) throws IOException {
        String text = Files.readString(file);
        int at = -1;
        for (String section : SECTIONS) {
            Matcher m = Pattern.compile("(?m)^" + Pattern.quote(section) + "\\s*$").matcher(text);
            if (!m.find()) {
                problems.add(file + ": no '" + section + "' section");
            } else if (m.start() < at) {
                problems.add(file + ": '" + section + "' is out of order (Meaning, Impact, Diagnosis, Mitigation)");
            } else {
                at = m.start();
            }
        }
    }

    /** A rule's facts, in Markdown, markers excluded. */
    static String facts(CompiledRule rule) {
        RuleSpec s = rule.spec();
        StringBuilder b = new StringBuilder();
        b.append("# ").append(s.id()).append(": ").append(s.title()).append("\n\n");
        if (s.description() != null) {
            b.append("> ").append(s.description().strip().replaceAll("\\s*\n\\s*", " ")).append("\n\n");
        }
        b.append("- **Severity** ").append(s.severity().wireName()).append(", **category** ")
                .append(s.category().wireName()).append(", **one alert per** ").append(subject(rule)).append('\n');
        b.append("- **NIST SP 800-125A**: ").append(s.nist().isEmpty() ? "none"
                : s.nist().stream().map(id -> id + " (" + gist(id) + ")").collect(Collectors.joining(", ")))
                .append('\n');
        if (rule.scope() == Scope.NOTICE) {
            b.append("- **Counts** `").append(s.match()).append("` notices\n");
        }
        b.append("- **Fires when** `").append(oneLine(s.condition())).append('`')
                .append(s.holdFor().isZero() ? " (no `for`: at once)" : " has held for " + duration(rule)).append('\n');
        b.append("- **Resolves when** ").append(s.resolve() == null ? "the condition no longer holds"
                : "`" + oneLine(s.resolve()) + "`").append('\n');
        if (!s.inhibitedBy().isEmpty()) {
            b.append("- **Held back while** ").append(s.inhibitedBy().stream().map(id -> "[`" + id + "`](" + id + ".md)")
                    .collect(Collectors.joining(" or "))).append(" fires\n");
        }
        if (!s.rateLimit().equals(RateLimit.DEFAULT)) {
            b.append("- **Rate limit**: ").append(s.rateLimit().burst()).append(" alerts, then one every ")
                    .append(Durations.format(s.rateLimit().every())).append('\n');
        }
        b.append("- **Message**: `").append(oneLine(s.message())).append("`\n");
        if (s.resolveMessage() != null) {
            b.append("- **Resolved message**: `").append(oneLine(s.resolveMessage())).append("`\n");
        }
        List<String> evidence = new ArrayList<>(List.of("condition"));
        if (!s.holdFor().isZero()) {
            evidence.add("for");
            evidence.add("held_since");
        }
        evidence.addAll(rule.evidence().keySet());
        b.append("- **Evidence**: ").append(evidence.stream().map(e -> "`" + e + "`").collect(Collectors.joining(", ")))
                .append(rule.scope() == Scope.NOTICE ? ", and the facts of the latest `" + s.match() + "` notice" : "")
                .append('\n');
        return b.toString();
    }

    /** The index table of every rule of the pack, markers excluded. */
    static String index(RulePack pack) {
        StringBuilder b = new StringBuilder("| rule | severity | HY-SR | what |\n| --- | --- | --- | --- |\n");
        for (CompiledRule rule : pack.rules()) {
            RuleSpec s = rule.spec();
            b.append("| [`").append(s.id()).append("`](").append(s.id()).append(".md) | ")
                    .append(s.severity().wireName()).append(" | ")
                    .append(s.nist().isEmpty() ? "-" : String.join(", ", s.nist())).append(" | ").append(s.title())
                    .append(" |\n");
        }
        return b.toString();
    }

    private static String subject(CompiledRule rule) {
        return switch (rule.scope()) {
            case VCPU -> "vCPU";
            case VM -> "VM";
            case HOST -> "host";
            case DEVICE -> "device (the `device` label of the series it reads)";
            case NOTICE -> rule.groupBy().isEmpty() ? "host" : rule.groupBy().stream()
                    .map(f -> FIELD_NAMES.getOrDefault(f, "`" + f + "`")).collect(Collectors.joining(" and "));
        };
    }

    private static String gist(String nistId) {
        return NistCoverage.ITEMS.stream().filter(i -> i.id().equals(nistId)).map(NistCoverage.Item::gist).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no NIST item " + nistId));
    }

    private static String duration(CompiledRule rule) {
        return Durations.format(rule.spec().holdFor());
    }

    private static String oneLine(String text) {
        return text.strip().replaceAll("\\s*\n\\s*", " ");
    }

    /** The text between the two marker lines, or null when either is missing. */
    private static String between(String text, String begin, String end) {
        int b = text.indexOf(begin + "\n");
        int e = text.indexOf(end, b + 1);
        return b < 0 || e < 0 ? null : text.substring(b + begin.length() + 1, e);
    }

    private static String replace(String text, String begin, String end, String generated) {
        int b = text.indexOf(begin + "\n");
        int e = text.indexOf(end, b + 1);
        if (b < 0 || e < 0) {
            return begin + "\n" + generated + end + "\n\n" + text;
        }
        return text.substring(0, b + begin.length() + 1) + generated + text.substring(e);
    }

    /** The names, without {@code .md}, of the runbooks in {@code dir} (every Markdown file but the index). */
    private static Set<String> runbookFiles(Path dir) throws IOException {
        return allMarkdown(dir).stream().filter(n -> !n.equals(INDEX)).map(n -> n.substring(0, n.length() - 3))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> allMarkdown(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".md"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
