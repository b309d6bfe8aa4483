package dev.hvwatch.agent.rules.expr;

import java.util.Map;

/**
 * A metric an expression reads: its name as on {@code /metrics} and the labels a series must carry to count. The
 * value of the reference is the sum over every matching series of the group.
 */
public record MetricRef(String name, Map<String, String> labels) {
    public MetricRef {
        labels = Map.copyOf(labels);
    }

    public boolean matches(String metricName, Map<String, String> seriesLabels) {
        if (!name.equals(metricName)) {
            return false;
        }
        for (Map.Entry<String, String> l : labels.entrySet()) {
            if (!l.getValue().equals(seriesLabels.get(l.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
