package dev.hvwatch.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.VmRef;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

class AlertLineTest {
    private static final String TIME = "2026-12-07T11:30:05.123456789Z";
    private static final String LOCAL = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault())
            .format(Instant.parse(TIME));

    @Test
    void aFiringVmAlertIsOneLineOfTimeSeverityRuleVmAndMessage() {
        Alert a = alert(AlertState.FIRING, new VmRef("demo-victim", "u", 42), "vCPU 0 waited 97%");
        assertThat(EmbeddedCollector.describe(a))
                .isEqualTo(LOCAL + "  high      vcpu-starvation              demo-victim   vCPU 0 waited 97%");
    }

    @Test
    void aResolvedHostAlertSaysResolvedAndHost() {
        assertThat(EmbeddedCollector.describe(alert(AlertState.RESOLVED, null, "ok again")))
                .isEqualTo(LOCAL + "  resolved  vcpu-starvation              host          ok again");
    }

    @Test
    void aVmNameCannotForgeALine() {
        String line = EmbeddedCollector.describe(alert(AlertState.FIRING, new VmRef("x\n12:00:00  high", "u", 1),
                "m"));
        assertThat(line).doesNotContain("\n").contains("x\\n12:00:00");
    }

    @Test
    void aLongMessageIsCutWithAnEllipsis() {
        String line = EmbeddedCollector.describe(alert(AlertState.FIRING, null, "x".repeat(500)));
        assertThat(line).endsWith("x…").hasSize(LOCAL.length() + 2 + 8 + 2 + 27 + 2 + 12 + 2 + 160);
    }

    private static Alert alert(AlertState state, VmRef vm, String message) {
        return new Alert("id", "agent", 1, TIME, "h", "vcpu-starvation", "t", Severity.HIGH, Category.STARVATION,
                state, vm, null, null, null, null, message, null);
    }
}
