package dev.hvwatch.agent.metrics;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Weighted max-min fair division ("water filling"): {@code total} is shared in proportion to the weights, except
 * that nobody gets more than their cap, and what a capped party cannot take is shared among the others the same
 * way. This is what a proportional-share scheduler (CFS, EEVDF) converges to for CPU-bound groups with weights and
 * bandwidth limits. A dozen lines, so no library.
 */
final class WaterFilling {
    private WaterFilling() {
    }

    /** Each party's part of {@code total}; parties with weight ≤ 0 get nothing. */
    static double[] allocate(double total, double[] weights, double[] caps) {
        int n = weights.length;
        double[] parts = new double[n];
        // Parties in the order in which they reach their caps as the level rises: cap / weight ascending.
        Integer[] order = IntStream.range(0, n).filter(i -> weights[i] > 0).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> caps[i] / weights[i]));
        double left = total;
        double weightLeft = Arrays.stream(order).mapToDouble(i -> weights[i]).sum();
        for (int i : order) {
            double fair = left * weights[i] / weightLeft;
            parts[i] = Math.min(fair, caps[i]);
            left -= parts[i];
            weightLeft -= weights[i];
        }
        return parts;
    }
}
