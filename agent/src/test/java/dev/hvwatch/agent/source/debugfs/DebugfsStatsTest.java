package dev.hvwatch.agent.source.debugfs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvwatch.agent.source.kvmstat.KvmMetric;
import dev.hvwatch.agent.source.kvmstat.StatDescriptor;
import dev.hvwatch.agent.source.kvmstat.StatType;
import dev.hvwatch.agent.source.kvmstat.StatUnit;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class DebugfsStatsTest {

    /**
     * Every statistic of a real kernel's schema (QEMU 7.2's query-stats-schemas on Linux 6.18, x86; saved in
     * src/test/resources/qmp) maps to the metric debugfs would give it, file modes as the kernel sets them: a VM's
     * series do not depend on which source fed it.
     */
    @Test
    void debugfsRebuildsTheMetricOfEveryStatisticTheKernelDescribes() throws Exception {
        JsonNode schemas;
        try (InputStream in = getClass().getResourceAsStream("/qmp/query-stats-schemas.json")) {
            schemas = new ObjectMapper().readTree(in);
        }
        int compared = 0;
        for (JsonNode target : schemas) {
            for (JsonNode stat : target.path("stats")) {
                StatDescriptor described = new StatDescriptor(stat.path("name").asText(),
                        StatType.fromQmp(stat.path("type").asText()),
                        StatUnit.fromQmp(stat.hasNonNull("unit") ? stat.get("unit").asText() : null),
                        stat.path("base").asInt(10), stat.path("exponent").asInt());
                boolean readOnly = described.type() == StatType.INSTANT; // kvm_stats_debugfs_mode

                assertThat(DebugfsStats.metric(described.name(), readOnly)).as(described.name())
                        .isEqualTo(KvmMetric.of(described));
                compared++;
            }
        }
        assertThat(compared).isEqualTo(60);
    }

    @Test
    void filesThatAreNotStatisticsAreNotRead() {
        assertThat(DebugfsStats.isStatistic("exits")).isTrue();
        assertThat(DebugfsStats.isStatistic("num_2M_pages")).isTrue();
        assertThat(DebugfsStats.isStatistic("tsc-offset")).isFalse();
        assertThat(DebugfsStats.isStatistic("pid")).isFalse();
        assertThat(DebugfsStats.isStatistic("mmu_rmaps_stat")).isFalse();
        assertThat(DebugfsStats.isStatistic("lapic_timer_advance_ns")).isFalse();
    }

    @Test
    void beforeLinux514InstantStatisticsAreKnownByName() {
        // Older kernels made every file 0644.
        assertThat(DebugfsStats.metric("pages_4k", false).orElseThrow().cumulative()).isFalse();
        assertThat(DebugfsStats.metric("lpages", false).orElseThrow().cumulative()).isFalse();
        assertThat(DebugfsStats.metric("max_mmu_page_hash_collisions", false).orElseThrow().cumulative()).isFalse();
        assertThat(DebugfsStats.metric("exits", false).orElseThrow().cumulative()).isTrue();
    }
}
