package dev.hvwatch.agent.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CpuListTest {
    @Test
    void theKernelsListFormatAndLibvirtsExclusions() {
        assertThat(CpuList.parse("0-3,8,10-11\n").toString()).isEqualTo("0-3,8,10-11");
        assertThat(CpuList.parse("0-7,^3,^5-6").toString()).isEqualTo("0-2,4,7");
        assertThat(CpuList.parse("").isEmpty()).isTrue();
        assertThat(CpuList.parse("2,3").union(CpuList.parse("4")).toString()).isEqualTo("2-4");
        assertThat(CpuList.parse("2-3").intersection(CpuList.parse("3-4")).count()).isEqualTo(1);
    }

    @Test
    void anythingElseIsRefusedNamingThePart() {
        assertThatThrownBy(() -> CpuList.parse("0-3,x")).hasMessageContaining("'x'");
        assertThatThrownBy(() -> CpuList.parse("5-2")).hasMessageContaining("'5-2'");
    }
}
