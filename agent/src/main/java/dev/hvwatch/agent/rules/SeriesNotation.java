package dev.hvwatch.agent.rules;

import dev.hvwatch.protocol.config.ConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * promtool's series notation for test input: space-separated items, each a number, {@code _} (no value),
 * {@code A+BxN} (A, A+B, …, A+N·B: N+1 values), {@code A-BxN}, or {@code AxN} (A, N+1 times).
 */
final class SeriesNotation {
    private SeriesNotation() {
    }

    static double[] expand(String where, String text) throws ConfigException {
        List<Double> out = new ArrayList<>();
        for (String item : text.trim().split("\\s+")) {
            if (item.isEmpty()) {
                continue;
            }
            if (item.equals("_")) {
                out.add(Double.NaN);
                continue;
            }
            try {
                int x = item.indexOf('x');
                if (x < 0) {
                    out.add(Double.parseDouble(item));
                    continue;
                }
                int times = Integer.parseInt(item.substring(x + 1));
                String start = item.substring(0, x);
                int sign = Math.max(start.lastIndexOf('+'), start.lastIndexOf('-'));
                double a = Double.parseDouble(sign > 0 ? start.substring(0, sign) : start);
                double step = sign > 0 ? Double.parseDouble(start.substring(sign)) : 0;
                for (int i = 0; i <= times; i++) {
                    out.add(a + i * step);
                }
            } catch (NumberFormatException e) {
                throw new ConfigException(where + ": '" + item + "' is not a number, '_', 'A+BxN' or 'AxN'");
            }
        }
        double[] values = new double[out.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = out.get(i);
        }
        return values;
    }
}
