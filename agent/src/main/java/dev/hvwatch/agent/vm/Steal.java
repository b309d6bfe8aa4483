package dev.hvwatch.agent.vm;

/**
 * A guest's steal: the share of its vCPUs' runnable time they spent waiting for a host CPU, wait / (run + wait)
 * over one interval. The one place it is computed, for every name it goes by: the rules' {@code wait_share},
 * {@code hvwatch_vm_steal_ratio} and the steal column of {@code top}.
 */
public final class Steal {
    private Steal() {
    }

    /**
     * @param run  time the vCPUs ran during the interval, in any unit
     * @param wait time they were runnable but waited for a host CPU, in the same unit
     * @return wait / (run + wait); NaN when the interval holds no runnable time or a time went backwards
     */
    public static double ratio(double run, double wait) {
        return run >= 0 && wait >= 0 && run + wait > 0 ? wait / (run + wait) : Double.NaN;
    }
}
