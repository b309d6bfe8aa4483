package dev.hvwatch.agent.metrics;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.source.kvmstat.KvmMetric;
import java.util.List;

/**
 * Which series /metrics shows ({@code metrics.perVcpu}, {@code metrics.perDevice}, {@code metrics.kvmStats}): the knobs
 * that bound a VM's series count. Only the exposition: the rules see every reading.
 *
 * @param perDevice whether series with a {@code device} label (disks, network interfaces) are shown per device, or
 *                  summed over the VM's devices
 * @param kvmStats  KVM statistic names to show; empty for all
 */
public record Shown(boolean perVcpu, boolean perDevice, List<String> kvmStats) {
    public static final Shown ALL = new Shown(true, true, List.of());

    public static Shown of(AgentConfig.Metrics config) {
        return new Shown(config.perVcpu(), config.perDevice(), config.kvmStats());
    }

    /** Whether a series is shown as far as the KVM statistics allow-list goes (other series always are). */
    boolean kvmStat(String seriesName) {
        return kvmStats.isEmpty() || !KvmMetric.isStatistic(seriesName)
                || kvmStats.stream().anyMatch(stat -> KvmMetric.names(seriesName, stat));
    }
}
