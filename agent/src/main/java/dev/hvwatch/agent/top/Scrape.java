package dev.hvwatch.agent.top;

import dev.hvwatch.agent.top.Exposition.Sample;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** One read of an agent's /metrics, with the monotonic time it was taken at, for rates between two reads. */
public final class Scrape {
    private final long nanoTime;
    private final Map<String, List<Sample>> byName = new HashMap<>();

    public Scrape(long nanoTime, List<Sample> samples) {
        this.nanoTime = nanoTime;
        for (Sample s : samples) {
            byName.computeIfAbsent(s.name(), n -> new ArrayList<>()).add(s);
        }
    }

    public long nanoTime() {
        return nanoTime;
    }

    public List<Sample> named(String metric) {
        return byName.getOrDefault(metric, List.of());
    }

    /** The sum of a metric's samples for one VM, or NaN when it has none. */
    public double sum(String metric, String vm) {
        double sum = Double.NaN;
        for (Sample s : named(metric)) {
            if (s.label("vm").equals(vm)) {
                sum = (Double.isNaN(sum) ? 0 : sum) + s.value();
            }
        }
        return sum;
    }

    /** A VM's samples of a metric summed by the value of one label, e.g. exits by reason. */
    public Map<String, Double> sumBy(String metric, String vm, String label) {
        Map<String, Double> sums = new TreeMap<>();
        for (Sample s : named(metric)) {
            if (s.label("vm").equals(vm)) {
                sums.merge(s.label(label), s.value(), Double::sum);
            }
        }
        return sums;
    }
}
