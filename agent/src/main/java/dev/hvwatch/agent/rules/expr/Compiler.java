package dev.hvwatch.agent.rules.expr;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns a parsed expression into a tree of {@link NumNode}/{@link StrNode} closures bound to the slots of one
 * scope's {@link Symbols}. Types are checked here, so that evaluation never fails: numbers and booleans mix (a
 * boolean is 1 or 0), strings only compare with {@code ==} and {@code !=}.
 *
 * <p>Why not CEL: evaluating CEL boxes values and builds activation maps per call, which fails the rule engine's
 * target of no allocation per event; the language rules need here (arithmetic, comparisons, window functions over
 * one group's values) is small enough to compile to closures that touch only pre-sized arrays.
 *
 * <p>Functions: {@code rate(x, window)} per-second increase of a counter (resets counted from zero),
 * {@code increase(x, window)}, {@code delta(x, window)} last minus first, {@code avg_over}, {@code max_over},
 * {@code min_over(x, window)}, {@code ewma(x, tau)} the exponentially weighted average of x before this
 * observation (a VM's own baseline), {@code count_over(window)} and {@code sum_over(x, window)} for notices, and
 * {@code abs(x)}, {@code max(a, b)}, {@code min(a, b)} (an argument without data is left out: the larger of two
 * counts where only one source reports is that one's); in VM rules {@code neighbours_slowed(share, window)}, the number
 * of other VMs more than {@code share} of whose CPU wait over {@code window} this VM caused (see
 * {@link NeighbourQuery}).
 */
public final class Compiler {
    private static final double NANOS = 1e9;
    private static final Set<String> WINDOW_FUNCTIONS =
            Set.of("rate", "increase", "delta", "avg_over", "max_over", "min_over", "sum_over");

    private final Symbols symbols;

    public Compiler(Symbols symbols) {
        this.symbols = symbols;
    }

    public NumNode number(Ast ast) throws ExprException {
        if (ast instanceof Ast.Str s) {
            throw new ExprException(s.column(), "a string is not a number: \"" + s.value() + "\"");
        }
        if (ast instanceof Ast.Ref r && isString(r)) {
            throw new ExprException(r.column(), "'" + r.name() + "' is a string; compare it with == or !=");
        }
        return compileNumber(ast);
    }

    /** Compiles a string-valued expression: a literal or a string variable. */
    public StrNode string(Ast ast) throws ExprException {
        if (ast instanceof Ast.Str s) {
            String v = s.value();
            return g -> v;
        }
        if (ast instanceof Ast.Ref r && isString(r)) {
            int slot = symbols.string(r.name());
            return g -> g.strings[slot];
        }
        throw new ExprException(ast.column(), "a string or a string variable was expected");
    }

    private boolean isString(Ast.Ref r) {
        return r.labels().isEmpty() && symbols.number(r.name()) < 0 && symbols.string(r.name()) >= 0;
    }

    private boolean isStringValued(Ast ast) {
        return ast instanceof Ast.Str || (ast instanceof Ast.Ref r && isString(r));
    }

    private NumNode compileNumber(Ast ast) throws ExprException {
        if (ast instanceof Ast.Num n) {
            double v = n.value();
            return (g, now) -> v;
        }
        if (ast instanceof Ast.Bool b) {
            double v = b.value() ? 1 : 0;
            return (g, now) -> v;
        }
        if (ast instanceof Ast.Ref r) {
            return reference(r);
        }
        if (ast instanceof Ast.Unary u) {
            NumNode operand = number(u.operand());
            return u.op().equals("-") ? (g, now) -> -operand.eval(g, now) : (g, now) -> not(operand.eval(g, now));
        }
        if (ast instanceof Ast.Binary b) {
            return binary(b);
        }
        if (ast instanceof Ast.Call c) {
            return call(c);
        }
        throw new ExprException(ast.column(), "a number was expected");
    }

    private NumNode reference(Ast.Ref r) throws ExprException {
        int builtin = symbols.number(r.name());
        if (builtin >= 0 && r.labels().isEmpty()) {
            return (g, now) -> g.numbers[builtin];
        }
        if (r.name().startsWith(Scope.METRIC_PREFIX)) {
            if (!symbols.scope().allowsMetrics()) {
                throw new ExprException(r.column(), "notice rules cannot read metrics; use a vm or host rule");
            }
            int slot = symbols.metric(new MetricRef(r.name(), r.labels()));
            return (g, now) -> g.numbers[slot];
        }
        Set<String> known = new TreeSet<>(symbols.scope().numbers());
        throw new ExprException(r.column(), "unknown name '" + r.name() + "' in a " + scopeName() + " rule (numbers "
                + "here: " + (known.isEmpty() ? "none" : String.join(", ", known)) + ", and metrics named hvwatch_…"
                + (symbols.scope() == Scope.NOTICE ? ", none here" : "") + ")");
    }

    private NumNode binary(Ast.Binary b) throws ExprException {
        String op = b.op();
        if ((op.equals("==") || op.equals("!=")) && (isStringValued(b.left()) || isStringValued(b.right()))) {
            StrNode l = string(b.left());
            StrNode r = string(b.right());
            boolean equal = op.equals("==");
            return (g, now) -> {
                String a = l.eval(g);
                String c = r.eval(g);
                return a == null || c == null ? Double.NaN : (Objects.equals(a, c) == equal ? 1 : 0);
            };
        }
        NumNode l = number(b.left());
        NumNode r = number(b.right());
        return switch (op) {
            case "+" -> (g, now) -> l.eval(g, now) + r.eval(g, now);
            case "-" -> (g, now) -> l.eval(g, now) - r.eval(g, now);
            case "*" -> (g, now) -> l.eval(g, now) * r.eval(g, now);
            case "/" -> (g, now) -> {
                double d = r.eval(g, now);
                return d == 0 ? Double.NaN : l.eval(g, now) / d;
            };
            case "<" -> (g, now) -> compare(l.eval(g, now), r.eval(g, now), -1, false);
            case "<=" -> (g, now) -> compare(l.eval(g, now), r.eval(g, now), -1, true);
            case ">" -> (g, now) -> compare(l.eval(g, now), r.eval(g, now), 1, false);
            case ">=" -> (g, now) -> compare(l.eval(g, now), r.eval(g, now), 1, true);
            case "==" -> (g, now) -> compare(l.eval(g, now), r.eval(g, now), 0, true);
            case "!=" -> (g, now) -> not(compare(l.eval(g, now), r.eval(g, now), 0, true));
            case "and" -> (g, now) -> and(l.eval(g, now), r.eval(g, now));
            case "or" -> (g, now) -> or(l.eval(g, now), r.eval(g, now));
            default -> throw new ExprException(b.column(), "unknown operator " + op);
        };
    }

    private NumNode call(Ast.Call c) throws ExprException {
        String f = c.function();
        List<Ast> args = c.args();
        if (WINDOW_FUNCTIONS.contains(f)) {
            arity(c, 2);
            NumNode x = number(args.get(0));
            long span = duration(c, args.get(1));
            int w = symbols.window(canonical(c), span, x);
            return switch (f) {
                case "rate" -> (g, now) -> rate(g.windows[w], now);
                case "increase" -> (g, now) -> increase(g.windows[w], now);
                case "delta" -> (g, now) -> delta(g.windows[w], now);
                case "avg_over" -> (g, now) -> aggregate(g.windows[w], now, 0);
                case "max_over" -> (g, now) -> aggregate(g.windows[w], now, 1);
                case "min_over" -> (g, now) -> aggregate(g.windows[w], now, -1);
                default -> (g, now) -> aggregate(g.windows[w], now, 2);
            };
        }
        switch (f) {
            case "count_over" -> {
                arity(c, 1);
                if (symbols.scope() != Scope.NOTICE) {
                    throw new ExprException(c.column(), "count_over counts notices; use it in a notice rule");
                }
                long span = duration(c, args.get(0));
                int w = symbols.window(canonical(c), span, (g, now) -> 1);
                return (g, now) -> {
                    g.windows[w].expire(now);
                    return g.windows[w].size();
                };
            }
            case "ewma" -> {
                arity(c, 2);
                NumNode x = number(args.get(0));
                int b = symbols.baseline(canonical(c), duration(c, args.get(1)), x);
                return (g, now) -> g.baselinesBefore[b];
            }
            case "neighbours_slowed" -> {
                arity(c, 2);
                if (symbols.scope() != Scope.VM) {
                    throw new ExprException(c.column(), "neighbours_slowed counts the VMs a VM slows down; use it in "
                            + "a vm rule");
                }
                double share = share(c, args.get(0));
                int slot = symbols.neighbourQuery(share, duration(c, args.get(1)));
                return (g, now) -> g.numbers[slot];
            }
            case "abs" -> {
                arity(c, 1);
                NumNode x = number(args.get(0));
                return (g, now) -> Math.abs(x.eval(g, now));
            }
            case "max", "min" -> {
                arity(c, 2);
                NumNode a = number(args.get(0));
                NumNode b = number(args.get(1));
                return f.equals("max") ? (g, now) -> extreme(a.eval(g, now), b.eval(g, now), true)
                        : (g, now) -> extreme(a.eval(g, now), b.eval(g, now), false);
            }
            default -> throw new ExprException(c.column(), "unknown function '" + f + "' (known: abs, avg_over, "
                    + "count_over, delta, ewma, increase, max, max_over, min, min_over, neighbours_slowed, rate, sum_over)");
        }
    }

    private void arity(Ast.Call c, int n) throws ExprException {
        if (c.args().size() != n) {
            throw new ExprException(c.column(), c.function() + " takes " + n + " argument" + (n == 1 ? "" : "s")
                    + ", not " + c.args().size());
        }
    }

    /** Whether argument {@code index} of {@code function} is a duration: a window or a time constant. */
    public static boolean takesDuration(String function, int index) {
        return function.equals("count_over") ? index == 0
                : index == 1 && (WINDOW_FUNCTIONS.contains(function) || function.equals("ewma")
                        || function.equals("neighbours_slowed"));
    }

    private static long duration(Ast.Call c, Ast arg) throws ExprException {
        if (!(arg instanceof Ast.Num n) || n.value() <= 0) {
            throw new ExprException(arg.column(), c.function() + " needs a positive duration here, e.g. 30s or 5m");
        }
        return (long) (n.value() * NANOS);
    }

    private static double share(Ast.Call c, Ast arg) throws ExprException {
        if (!(arg instanceof Ast.Num n) || n.value() <= 0 || n.value() >= 1) {
            throw new ExprException(arg.column(), c.function() + " needs a share between 0 and 1 here, e.g. 0.5");
        }
        return n.value();
    }

    /** A stable text for an expression, so that equal calls share their window or baseline. */
    static String canonical(Ast ast) {
        if (ast instanceof Ast.Num n) {
            return Double.toString(n.value());
        }
        if (ast instanceof Ast.Str s) {
            return '"' + s.value() + '"';
        }
        if (ast instanceof Ast.Bool b) {
            return Boolean.toString(b.value());
        }
        if (ast instanceof Ast.Ref r) {
            return r.name() + (r.labels().isEmpty() ? "" : new TreeMap<>(r.labels()).toString());
        }
        if (ast instanceof Ast.Unary u) {
            return u.op() + "(" + canonical(u.operand()) + ")";
        }
        if (ast instanceof Ast.Binary b) {
            return "(" + canonical(b.left()) + " " + b.op() + " " + canonical(b.right()) + ")";
        }
        Ast.Call c = (Ast.Call) ast;
        StringBuilder s = new StringBuilder(c.function()).append('(');
        for (int i = 0; i < c.args().size(); i++) {
            s.append(i == 0 ? "" : ", ").append(canonical(c.args().get(i)));
        }
        return s.append(')').toString();
    }

    private String scopeName() {
        return symbols.scope().name().toLowerCase(Locale.ROOT);
    }

    static double compare(double a, double b, int sign, boolean orEqual) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.NaN;
        }
        int c = Double.compare(a, b);
        return (c == 0 ? orEqual : Integer.signum(c) == sign) ? 1 : 0;
    }

    /** The larger (or smaller) of two values, leaving out one without data; NaN only when both are. */
    static double extreme(double a, double b, boolean larger) {
        if (Double.isNaN(a)) {
            return b;
        }
        if (Double.isNaN(b)) {
            return a;
        }
        return larger ? Math.max(a, b) : Math.min(a, b);
    }

    static double not(double x) {
        return Double.isNaN(x) ? Double.NaN : (x != 0 ? 0 : 1);
    }

    /** Three-valued logic: false wins over no data in "and", true wins in "or". */
    static double and(double a, double b) {
        if (a == 0 || b == 0) {
            return 0;
        }
        return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : 1;
    }

    static double or(double a, double b) {
        if ((a != 0 && !Double.isNaN(a)) || (b != 0 && !Double.isNaN(b))) {
            return 1;
        }
        return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : 0;
    }

    static double increase(Window w, long now) {
        w.expire(now);
        if (w.size() < 2) {
            return Double.NaN;
        }
        double total = 0;
        for (int i = 1; i < w.size(); i++) {
            double step = w.value(i) - w.value(i - 1);
            total += step >= 0 ? step : w.value(i); // a counter reset starts again from zero
        }
        return total;
    }

    static double rate(Window w, long now) {
        double increase = increase(w, now);
        return Double.isNaN(increase) ? Double.NaN : increase / ((w.time(w.size() - 1) - w.time(0)) / NANOS);
    }

    static double delta(Window w, long now) {
        w.expire(now);
        return w.size() < 2 ? Double.NaN : w.value(w.size() - 1) - w.value(0);
    }

    /** kind 0 average, 1 maximum, -1 minimum, 2 sum. */
    static double aggregate(Window w, long now, int kind) {
        w.expire(now);
        if (w.size() == 0) {
            return kind == 2 ? 0 : Double.NaN;
        }
        double acc = kind == 1 ? Double.NEGATIVE_INFINITY : kind == -1 ? Double.POSITIVE_INFINITY : 0;
        for (int i = 0; i < w.size(); i++) {
            double v = w.value(i);
            acc = kind == 1 ? Math.max(acc, v) : kind == -1 ? Math.min(acc, v) : acc + v;
        }
        return kind == 0 ? acc / w.size() : acc;
    }
}
