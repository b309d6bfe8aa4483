package dev.hvwatch.agent.rules;

import com.fasterxml.jackson.core.JsonPointer;
import dev.hvwatch.agent.rules.expr.Ast;
import dev.hvwatch.agent.rules.expr.Compiler;
import dev.hvwatch.agent.rules.expr.ExprException;
import dev.hvwatch.agent.rules.expr.NeighbourQuery;
import dev.hvwatch.agent.rules.expr.NumNode;
import dev.hvwatch.agent.rules.expr.Parser;
import dev.hvwatch.agent.rules.expr.Scope;
import dev.hvwatch.agent.rules.expr.Symbols;
import dev.hvwatch.protocol.config.ConfigException;
import dev.hvwatch.protocol.config.Durations;
import dev.hvwatch.protocol.config.StrictYaml;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A checked, compiled set of rules: the default pack shipped with the agent, then the operator's rule files in
 * order, a later rule replacing an earlier one with the same id. Every mistake is refused with the file, the line
 * and the reason, and the whole pack is refused: the engine keeps running the previous one.
 */
public final class RulePack {
    /** The default pack on the classpath. */
    public static final String DEFAULT = "rules/default.yaml";
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final Pattern NIST = Pattern.compile("HY-SR-(?:[1-9]|1[0-9]|20|6[ABC])");
    private static final List<String> NOTICE_FIELDS = List.of("vm", "device", "type");

    private final List<CompiledRule> rules;
    private final Map<Scope, Symbols> symbols;
    private final Map<Scope, List<CompiledRule>> byScope = new EnumMap<>(Scope.class);

    private RulePack(List<CompiledRule> rules, Map<Scope, Symbols> symbols) {
        this.rules = List.copyOf(rules);
        this.symbols = symbols;
        for (Scope scope : Scope.values()) {
            byScope.put(scope, rules.stream().filter(r -> r.scope() == scope).toList());
        }
    }

    List<CompiledRule> rules() {
        return rules;
    }

    /** The rules in force, as written. */
    public List<RuleSpec> specs() {
        return rules.stream().map(CompiledRule::spec).toList();
    }

    /** The shared symbols of a metric scope (VCPU, VM, HOST, DEVICE); notice rules each have their own. */
    Symbols symbols(Scope scope) {
        return symbols.get(scope);
    }

    List<CompiledRule> rules(Scope scope) {
        return byScope.get(scope);
    }

    /** The default pack followed by the given files, or the files of the given directories in name order. */
    public static RulePack load(List<Path> files) throws ConfigException {
        Map<String, Source> byId = new LinkedHashMap<>();
        add(byId, "default pack " + DEFAULT, defaultText());
        for (Path f : expand(files)) {
            try {
                add(byId, f.toString(), Files.readString(f));
            } catch (IOException e) {
                throw new ConfigException(f + ": cannot read: " + e.getMessage(), e);
            }
        }
        return compile(byId.values());
    }

    /** Only the given texts, without the default pack: for rule unit tests and tools. */
    public static RulePack fromTexts(Map<String, String> originToText) throws ConfigException {
        Map<String, Source> byId = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : originToText.entrySet()) {
            add(byId, e.getKey(), e.getValue());
        }
        return compile(byId.values());
    }

    public static String defaultText() {
        try (InputStream in = RulePack.class.getClassLoader().getResourceAsStream(DEFAULT)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> expand(List<Path> files) throws ConfigException {
        List<Path> out = new ArrayList<>();
        for (Path f : files) {
            if (Files.isDirectory(f)) {
                try (Stream<Path> children = Files.list(f)) {
                    children.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted()
                            .forEach(out::add);
                } catch (IOException e) {
                    throw new ConfigException(f + ": cannot list: " + e.getMessage(), e);
                }
            } else {
                out.add(f);
            }
        }
        return out;
    }

    /** Where a rule came from, to point errors at its lines. */
    private record Source(RuleSpec spec, String origin, String text, int index) {
        String where(String key) {
            int line = StrictYaml.lineOf(text, JsonPointer.compile("/rules/" + index + "/" + key));
            return origin + (line > 0 ? " line " + line : "") + ": rule " + (spec.id() == null ? "#" + (index + 1)
                    : spec.id()) + ": ";
        }
    }

    private static void add(Map<String, Source> byId, String origin, String text) throws ConfigException {
        RuleSpec.File file = StrictYaml.read(origin, text, RuleSpec.File.class);
        if (file == null) {
            return;
        }
        Map<String, Integer> seenHere = new HashMap<>();
        for (int i = 0; i < file.rules().size(); i++) {
            Source s = new Source(file.rules().get(i), origin, text, i);
            String id = s.spec().id();
            if (id == null || !ID.matcher(id).matches()) {
                throw new ConfigException(s.where("id") + "id must be lower-case letters, digits and '-', got '"
                        + id + "'");
            }
            if (seenHere.put(id, i) != null) {
                throw new ConfigException(s.where("id") + "the id is used twice in this file");
            }
            byId.remove(id); // a later file's rule replaces the earlier one, and takes its place at the end
            byId.put(id, s);
        }
    }

    private static RulePack compile(Iterable<Source> sources) throws ConfigException {
        Map<Scope, Symbols> shared = new EnumMap<>(Scope.class);
        for (Scope s : List.of(Scope.VCPU, Scope.VM, Scope.HOST, Scope.DEVICE)) {
            shared.put(s, new Symbols(s));
        }
        Map<Scope, Integer> counts = new EnumMap<>(Scope.class);
        List<CompiledRule> compiled = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        sources.forEach(s -> ids.add(s.spec().id()));
        for (Source s : sources) {
            RuleSpec r = s.spec();
            require(s, "title", r.title());
            require(s, "category", r.category());
            require(s, "severity", r.severity());
            require(s, "scope", r.scope());
            require(s, "condition", r.condition());
            require(s, "message", r.message());
            for (int i = 0; i < r.nist().size(); i++) {
                if (!NIST.matcher(r.nist().get(i)).matches()) {
                    throw new ConfigException(s.where("nist/" + i) + "'" + r.nist().get(i) + "' is not a NIST SP "
                            + "800-125A recommendation (HY-SR-1 … HY-SR-20, HY-SR-6A/6B/6C)");
                }
            }
            if (r.rateLimit().burst() < 1 || r.rateLimit().every().isNegative() || r.rateLimit().every().isZero()) {
                throw new ConfigException(s.where("rate_limit") + "rate_limit needs a burst of at least 1 and a "
                        + "positive 'every', got burst " + r.rateLimit().burst() + ", every "
                        + Durations.format(r.rateLimit().every()));
            }
            for (String other : r.inhibitedBy()) {
                if (!ids.contains(other)) {
                    throw new ConfigException(s.where("inhibited_by") + "inhibited by unknown rule '" + other + "'");
                }
            }
            Scope scope;
            try {
                scope = Scope.valueOf(r.scope().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(s.where("scope") + "scope must be vcpu, vm, host, device or notice, got '"
                        + r.scope() + "'");
            }
            if (scope == Scope.NOTICE) {
                require(s, "match", r.match());
                for (String field : r.groupBy()) {
                    if (!NOTICE_FIELDS.contains(field) && !field.startsWith(Scope.FACT_PREFIX)) {
                        throw new ConfigException(s.where("group_by") + "cannot group by '" + field
                                + "' (vm, device, type or facts.NAME)");
                    }
                }
            } else if (r.match() != null || !r.groupBy().isEmpty()) {
                throw new ConfigException(s.where(r.match() != null ? "match" : "group_by")
                        + "match and group_by are for notice rules; a " + r.scope() + " rule is grouped by its "
                        + r.scope());
            }
            Symbols symbols = scope == Scope.NOTICE ? new Symbols(Scope.NOTICE) : shared.get(scope);
            int index = scope == Scope.NOTICE ? 0 : counts.merge(scope, 1, Integer::sum) - 1;
            compiled.add(compileRule(s, scope, symbols, index));
        }
        return new RulePack(compiled, shared);
    }

    private static CompiledRule compileRule(Source s, Scope scope, Symbols symbols, int index) throws ConfigException {
        RuleSpec r = s.spec();
        Compiler compiler = new Compiler(symbols);
        Ast condition = parse(s, "condition", r.condition());
        NumNode conditionNode = expression(s, "condition", () -> compiler.number(condition));
        NumNode resolveNode = null;
        if (r.resolve() != null) {
            Ast resolve = parse(s, "resolve", r.resolve());
            resolveNode = expression(s, "resolve", () -> compiler.number(resolve));
        }
        String forText = Durations.format(r.holdFor());
        Template message = expression(s, "message", () -> Template.compile(r.message(), compiler, forText));
        Template resolveMessage = r.resolveMessage() == null ? null
                : expression(s, "resolve_message", () -> Template.compile(r.resolveMessage(), compiler, forText));
        Map<String, NumNode> evidence = new LinkedHashMap<>();
        collectEvidence(condition, compiler, evidence);
        NumNode attributeWhen = null;
        if (r.attributeWhen() != null) {
            if (scope != Scope.VCPU && scope != Scope.VM) {
                throw new ConfigException(s.where("attribute_when") + "attribute_when names who took a vCPU's or a "
                        + "VM's CPU; a " + r.scope() + " rule has none");
            }
            Ast when = parse(s, "attribute_when", r.attributeWhen());
            attributeWhen = expression(s, "attribute_when", () -> compiler.number(when));
        }
        return new CompiledRule(r, scope, symbols, index, conditionNode, resolveNode, r.holdFor().toNanos(), message,
                resolveMessage, evidence, r.groupBy(), attributeWhen, neighbourQuery(condition, symbols));
    }

    /** The first {@code neighbours_slowed} the condition asks, as an index into the scope's queries; -1 for none. */
    private static int neighbourQuery(Ast ast, Symbols symbols) {
        if (ast instanceof Ast.Call c) {
            if (c.function().equals("neighbours_slowed") && c.args().get(0) instanceof Ast.Num share
                    && c.args().get(1) instanceof Ast.Num span) {
                List<NeighbourQuery> queries = symbols.neighbourQueries();
                for (int i = 0; i < queries.size(); i++) {
                    if (queries.get(i).share() == share.value()
                            && queries.get(i).spanNanos() == (long) (span.value() * 1e9)) {
                        return i;
                    }
                }
            }
            for (Ast a : c.args()) {
                int q = neighbourQuery(a, symbols);
                if (q >= 0) {
                    return q;
                }
            }
        } else if (ast instanceof Ast.Unary u) {
            return neighbourQuery(u.operand(), symbols);
        } else if (ast instanceof Ast.Binary b) {
            int q = neighbourQuery(b.left(), symbols);
            return q >= 0 ? q : neighbourQuery(b.right(), symbols);
        }
        return -1;
    }

    /** Every variable, metric and function the condition reads, so that the alert shows the figures behind it. */
    private static void collectEvidence(Ast ast, Compiler compiler, Map<String, NumNode> out) {
        if (ast instanceof Ast.Ref || ast instanceof Ast.Call) {
            try {
                out.putIfAbsent(text(ast), compiler.number(ast));
            } catch (ExprException stringValued) {
                // strings (vm, device) are in the alert already
            }
            if (ast instanceof Ast.Ref) {
                return;
            }
        }
        if (ast instanceof Ast.Call c) {
            c.args().forEach(a -> collectEvidence(a, compiler, out));
        } else if (ast instanceof Ast.Unary u) {
            collectEvidence(u.operand(), compiler, out);
        } else if (ast instanceof Ast.Binary b) {
            collectEvidence(b.left(), compiler, out);
            collectEvidence(b.right(), compiler, out);
        }
    }

    /** A readable name for an evidence value: the expression as an analyst would write it, durations in seconds. */
    private static String text(Ast ast) {
        if (ast instanceof Ast.Ref r) {
            StringBuilder s = new StringBuilder(r.name());
            if (!r.labels().isEmpty()) {
                s.append('{');
                r.labels().forEach((k, v) -> s.append(s.charAt(s.length() - 1) == '{' ? "" : ",").append(k)
                        .append("=\"").append(v).append('"'));
                s.append('}');
            }
            return s.toString();
        }
        if (ast instanceof Ast.Num n) {
            double v = n.value();
            return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
        }
        if (ast instanceof Ast.Call c) {
            StringBuilder s = new StringBuilder(c.function()).append('(');
            for (int i = 0; i < c.args().size(); i++) {
                Ast arg = c.args().get(i);
                boolean share = i == 0 && c.function().equals("neighbours_slowed") && arg instanceof Ast.Num;
                s.append(i == 0 ? "" : ", ").append(share ? Double.toString(((Ast.Num) arg).value()) : text(arg))
                        .append(!share && arg instanceof Ast.Num && Compiler.takesDuration(c.function(), i) ? "s" : "");
            }
            return s.append(')').toString();
        }
        if (ast instanceof Ast.Unary u) {
            return u.op() + (u.op().equals("not") ? " " : "") + operand(u.operand());
        }
        if (ast instanceof Ast.Binary b) {
            return operand(b.left()) + " " + b.op() + " " + operand(b.right());
        }
        return ast.toString();
    }

    private static String operand(Ast ast) {
        return ast instanceof Ast.Binary ? "(" + text(ast) + ")" : text(ast);
    }

    private static void require(Source s, String key, Object value) throws ConfigException {
        if (value == null || (value instanceof String str && str.isBlank())) {
            throw new ConfigException(s.where("id") + "'" + key + "' is required"); // the rule's first line
        }
    }

    private interface Step<T> {
        T run() throws ExprException;
    }

    private static Ast parse(Source s, String key, String text) throws ConfigException {
        return expression(s, key, () -> Parser.parse(text));
    }

    private static <T> T expression(Source s, String key, Step<T> step) throws ConfigException {
        try {
            return step.run();
        } catch (ExprException e) {
            throw new ConfigException(s.where(key) + key + ": " + e.getMessage() + " (column " + e.column() + ")");
        }
    }
}
