package dev.hvwatch.collector.output.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.config.OutputConfig.Facility;
import dev.hvwatch.collector.config.OutputConfig.MessagePart;
import dev.hvwatch.collector.testing.TestAlerts;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.EncodedAlert;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.collector.journal.JournalEntry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Rfc5424MessageTest {
    private static final OutputConfig.Rfc5424 DEFAULTS = new OutputConfig.Rfc5424(null, null, null, null);

    @Test
    void aFiringAlertAsDocumented() {
        assertThat(text(new Rfc5424Message(DEFAULTS, null), TestAlerts.alert("kvm-01", 7))).isEqualTo(
                "<35>1 2025-01-02T03:04:12.123456Z kvm-01 hvwatch - vcpu-starvation [hvwatch@32473 "
                        + "id=\"alert-kvm-01-7\" agent=\"kvm-01\" seq=\"7\" rule=\"vcpu-starvation\" "
                        + "title=\"vCPU starved\" severity=\"high\" category=\"starvation\" state=\"firing\" "
                        + "vm=\"guest-1\" vmUuid=\"5f0c8a4e-0000-4000-8000-000000000001\" vmPid=\"4242\" vcpu=\"0\" "
                        + "nist=\"HY-SR-5\" "
                        + "runbook=\"file:///usr/share/doc/hvwatch-agent/runbooks/vcpu-starvation.md\"] "
                        + "vCPU 0 of guest-1 waited 42% of the last minute");
    }

    @Test
    void priorityCombinesTheFacilityWithTheAlertsSeverity() {
        OutputConfig.Rfc5424 local4 = new OutputConfig.Rfc5424(Facility.LOCAL4, "app", "1.2", null);
        Rfc5424Message format = new Rfc5424Message(local4, null);
        assertThat(text(format, with(Severity.CRITICAL, "x", "r"))).startsWith("<162>1 ");
        assertThat(text(format, with(Severity.INFO, "x", "r"))).startsWith("<166>1 ")
                .contains(" app - r [hvwatch@1.2 ");
    }

    @Test
    void headerFieldsAreHeldToTheirAlphabetAndLengthsAndSdValuesEscaped() {
        String rule = "rule with spaces and ünïcode that is much longer than thirty-two characters";
        String host = "h".repeat(300);
        String message = text(new Rfc5424Message(DEFAULTS, null), withTitle(host, rule, "a \"quoted\" [x] \\ done"));
        String[] header = message.split(" ", 7);

        assertThat(header[2]).hasSize(255);
        assertThat(header[5]).isEqualTo("rule_with_spaces_and__n_code_tha").hasSize(32);
        assertThat(message).contains("title=\"a \\\"quoted\\\" [x\\] \\\\ done\"");
        assertThat(message).contains("rule=\"" + rule + "\"");
    }

    @Test
    void theMessageCanCarryTheAlertInAnotherFormatOnOneLine() {
        Alert alert = TestAlerts.alert("kvm-01", 3);
        JournalEntry entry = new JournalEntry(1, "kvm-01", 3, EncodedAlert.of(alert).json());
        OutputConfig.Rfc5424 json = new OutputConfig.Rfc5424(null, null, null, MessagePart.JSON);
        String withJson = new String(new Rfc5424Message(json, new CanonicalJson()).format(entry, alert),
                StandardCharsets.UTF_8);
        assertThat(withJson).endsWith("] " + AlertJson.toLine(alert));

        Alert multiline = withTitle("kvm-01", "r", "t");
        String text = text(new Rfc5424Message(DEFAULTS, null), new Alert(multiline.id(), "kvm-01", 1,
                multiline.time(), "kvm-01", "r", "t", Severity.LOW, Category.AGENT, AlertState.FIRING, null, null,
                null, List.of(), Map.of(), "first\nsecond\tthird", null));
        assertThat(text).endsWith("] first second third");
    }

    private static String text(Rfc5424Message format, Alert alert) {
        return new String(format.format(null, alert), StandardCharsets.UTF_8);
    }

    private static Alert with(Severity severity, String host, String rule) {
        Alert a = TestAlerts.alert("kvm-01", 1);
        return new Alert(a.id(), a.agent(), a.seq(), a.time(), host, rule, a.title(), severity, a.category(),
                a.state(), null, null, null, List.of(), Map.of(), "m", null);
    }

    private static Alert withTitle(String host, String rule, String title) {
        Alert a = TestAlerts.alert("kvm-01", 1);
        return new Alert(a.id(), a.agent(), a.seq(), a.time(), host, rule, title, a.severity(), a.category(),
                a.state(), null, null, null, List.of(), Map.of(), "m", null);
    }
}
