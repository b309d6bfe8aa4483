package dev.hvwatch.agent.rules.expr;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The slots of one scope, shared by every rule of that scope: numeric variables (built-ins and metric
 * references), string variables, windows and baselines. Equal expressions share a slot, so that {@code rate(x, 30s)}
 * written in a condition and in a message keeps one window. Observers (windows and baselines) are kept in the order
 * they were compiled, inner before outer, so that {@code ewma(rate(x, 10s), 10m)} observes the rate first.
 */
public final class Symbols {
    private final Scope scope;
    private final Map<String, Integer> numbers = new LinkedHashMap<>();
    private final Map<MetricRef, Integer> metrics = new LinkedHashMap<>();
    private final Map<String, Integer> strings = new LinkedHashMap<>();
    private final Map<String, Integer> windows = new LinkedHashMap<>();
    private final List<Long> windowSpans = new ArrayList<>();
    private final Map<String, Integer> baselines = new LinkedHashMap<>();
    private final List<Observer> observers = new ArrayList<>();
    private final List<NeighbourQuery> neighbourQueries = new ArrayList<>();

    public Symbols(Scope scope) {
        this.scope = scope;
        scope.numbers().forEach(n -> numbers.put(n, numbers.size()));
        scope.strings().forEach(s -> strings.put(s, strings.size()));
    }

    /** Something updated once per observation of a group, before its rules are evaluated. */
    interface Observer {
        void observe(Group g, long nowNanos);
    }

    public Scope scope() {
        return scope;
    }

    /** The slot of a built-in numeric variable, or -1. */
    public int number(String name) {
        return numbers.getOrDefault(name, -1);
    }

    /** The slot of a string variable, or -1; notice facts get slots as rules ask for them. */
    public int string(String name) {
        Integer slot = strings.get(name);
        if (slot == null && scope == Scope.NOTICE && name.startsWith(Scope.FACT_PREFIX)) {
            slot = strings.size();
            strings.put(name, slot);
        }
        return slot == null ? -1 : slot;
    }

    public Map<String, Integer> stringSlots() {
        return strings;
    }

    int metric(MetricRef ref) {
        return metrics.computeIfAbsent(ref, r -> {
            int slot = numbers.size();
            numbers.put("metric#" + slot, slot);
            return slot;
        });
    }

    /** Every metric the scope's rules read, with its slot. */
    public Map<MetricRef, Integer> metrics() {
        return metrics;
    }

    /** The slot of {@code neighbours_slowed(share, window)}; equal queries share one. */
    int neighbourQuery(double share, long spanNanos) {
        for (NeighbourQuery q : neighbourQueries) {
            if (q.share() == share && q.spanNanos() == spanNanos) {
                return q.slot();
            }
        }
        int slot = numbers.size();
        numbers.put("neighbours_slowed#" + slot, slot);
        neighbourQueries.add(new NeighbourQuery(slot, share, spanNanos));
        return slot;
    }

    /** Every {@code neighbours_slowed} the scope's rules ask, in the order first asked. */
    public List<NeighbourQuery> neighbourQueries() {
        return neighbourQueries;
    }

    int window(String canonical, long spanNanos, NumNode arg) {
        Integer existing = windows.get(canonical);
        if (existing != null) {
            return existing;
        }
        int index = windowSpans.size();
        windows.put(canonical, index);
        windowSpans.add(spanNanos);
        observers.add((g, now) -> g.windows[index].add(now, arg.eval(g, now)));
        return index;
    }

    int baseline(String canonical, long tauNanos, NumNode arg) {
        Integer existing = baselines.get(canonical);
        if (existing != null) {
            return existing;
        }
        int index = baselines.size();
        baselines.put(canonical, index);
        observers.add((g, now) -> {
            double x = arg.eval(g, now);
            if (Double.isNaN(x)) {
                return;
            }
            double previous = g.baselines[index];
            g.baselinesBefore[index] = previous;
            if (Double.isNaN(previous)) {
                g.baselines[index] = x;
            } else {
                double alpha = 1 - Math.exp(-(double) (now - g.baselineTimes[index]) / tauNanos);
                g.baselines[index] = previous + alpha * (x - previous);
            }
            g.baselineTimes[index] = now;
        });
        return index;
    }

    /** Records this moment's values in the group's windows and baselines; once per moment. */
    public void observe(Group g, long nowNanos) {
        if (g.observedAt == nowNanos) {
            return;
        }
        g.observedAt = nowNanos;
        for (int i = 0; i < observers.size(); i++) {
            observers.get(i).observe(g, nowNanos);
        }
    }

    public int numberCount() {
        return numbers.size();
    }

    public int stringCount() {
        return strings.size();
    }

    public int windowCount() {
        return windowSpans.size();
    }

    long windowSpan(int i) {
        return windowSpans.get(i);
    }

    public int baselineCount() {
        return baselines.size();
    }
}
