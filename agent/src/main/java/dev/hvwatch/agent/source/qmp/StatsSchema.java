package dev.hvwatch.agent.source.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.agent.source.kvmstat.KvmMetric;
import dev.hvwatch.agent.source.kvmstat.StatDescriptor;
import dev.hvwatch.agent.source.kvmstat.StatType;
import dev.hvwatch.agent.source.kvmstat.StatUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The KVM statistics one QEMU reports, as metrics by statistic name, for the {@code vm} and {@code vcpu} targets:
 * read from {@code query-stats-schemas} once per connection, since the kernel's descriptors do not change while a
 * VM runs. Other providers (cryptodev, …) are not KVM statistics and are left out.
 */
final class StatsSchema {
    static final String PROVIDER = "kvm";

    /** No statistics: for a QEMU that cannot report them. */
    static final StatsSchema NONE = new StatsSchema();

    private final Map<String, KvmMetric> vm = new HashMap<>();
    private final Map<String, KvmMetric> vcpu = new HashMap<>();
    /** Statistics not exported, with the reason: histograms, and anything this version cannot describe. */
    private final List<String> skipped = new ArrayList<>();

    private StatsSchema() {
    }

    /** @param schemas the {@code return} of {@code query-stats-schemas} */
    static StatsSchema parse(JsonNode schemas) throws QmpException {
        if (!schemas.isArray()) {
            throw new QmpException(QmpError.PROTOCOL, "query-stats-schemas returned " + schemas.getNodeType()
                    + ", expected an array");
        }
        StatsSchema schema = new StatsSchema();
        for (JsonNode entry : schemas) {
            if (!PROVIDER.equals(entry.path("provider").asText())) {
                continue;
            }
            switch (entry.path("target").asText()) {
                case "vm" -> schema.add(entry.path("stats"), schema.vm);
                case "vcpu" -> schema.add(entry.path("stats"), schema.vcpu);
                default -> {
                    // Other targets (cryptodev) have nothing to do with KVM.
                }
            }
        }
        return schema;
    }

    private void add(JsonNode stats, Map<String, KvmMetric> into) {
        Set<String> metricNames = new HashSet<>();
        for (KvmMetric known : into.values()) {
            metricNames.add(known.name());
        }
        for (JsonNode stat : stats) {
            String name = stat.path("name").asText();
            StatDescriptor descriptor;
            try {
                descriptor = new StatDescriptor(name, StatType.fromQmp(stat.path("type").asText()),
                        StatUnit.fromQmp(stat.hasNonNull("unit") ? stat.get("unit").asText() : null),
                        stat.path("base").asInt(10), stat.path("exponent").asInt(0));
            } catch (IllegalArgumentException newerThanUs) {
                skipped.add(name + " (" + newerThanUs.getMessage() + ")");
                continue;
            }
            KvmMetric metric = KvmMetric.of(descriptor).orElse(null);
            if (metric == null) {
                skipped.add(name + " (histogram)");
            } else if (!metricNames.add(metric.name())) {
                // e.g. a future foo and foo_ns: one meter cannot carry both.
                skipped.add(name + " (same metric name as another statistic: " + metric.name() + ")");
            } else {
                into.put(name, metric);
            }
        }
    }

    /** The metric of a VM-wide statistic, or null if it is not exported. */
    KvmMetric vmMetric(String statName) {
        return vm.get(statName);
    }

    /** The metric of a per-vCPU statistic, or null if it is not exported. */
    KvmMetric vcpuMetric(String statName) {
        return vcpu.get(statName);
    }

    /** No KVM statistics at all: QEMU runs the VM without KVM (TCG), or predates query-stats' KVM provider. */
    boolean isEmpty() {
        return vm.isEmpty() && vcpu.isEmpty();
    }

    List<String> skipped() {
        return skipped;
    }
}
