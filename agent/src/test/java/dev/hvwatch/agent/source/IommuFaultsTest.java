package dev.hvwatch.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.ring.Series;
import org.junit.jupiter.api.Test;

class IommuFaultsTest {
    @Test
    void bothSourcesShareTheNameAndHelpAndSayWhereTheyCounted() {
        Series kmsg = IommuFaults.series("0000:3b:00.0", "0x06 PTE Read access is not set", "kmsg");
        Series tracepoint = IommuFaults.series("0000:3b:00.0", null, "tracepoint");

        assertThat(kmsg.prometheusName()).isEqualTo("hvwatch_iommu_faults_total")
                .isEqualTo(tracepoint.prometheusName());
        assertThat(kmsg.help()).isEqualTo(tracepoint.help());
        assertThat(kmsg.labels()).containsOnlyKeys("device", "reason", "source").containsEntry("source", "kmsg");
        assertThat(tracepoint.labels()).containsOnlyKeys("device", "source").containsEntry("source", "tracepoint");
    }
}
