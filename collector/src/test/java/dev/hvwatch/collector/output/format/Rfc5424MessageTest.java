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
import dev.hvwatch.protocol.VmRef;
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

    @Test
    void theTenantAndWhoTookTheCpuAreParameters() {
        String message = text(new Rfc5424Message(DEFAULTS, null), TestAlerts.noisyNeighbour("kvm-01", 7));

        assertThat(message).contains(" vm=\"instance-0000a1f3\" vmUuid=\"5f0c8a4e-0000-4000-8000-000000000001\" "
                + "vmPid=\"4242\" vcpu=\"0\" nist=\"HY-SR-5\" instanceName=\"db-primary\" project=\"payments\" "
                + "projectId=\"8c4f3e2a9b7d4c1e8f6a5b3c2d1e0f9a\" user=\"alice\" flavor=\"m1.large\" "
                + "manager=\"libvirt\" antagonist1=\"instance-0000b200\" "
                + "antagonist1Uuid=\"5f0c8a4e-0000-4000-8000-000000000002\" antagonist1Project=\"shop\" "
                + "antagonist1Share=\"0.82\" antagonist1Cpus=\"0-1\" antagonist2=\"batch-7\" "
                + "antagonist2Uuid=\"5f0c8a4e-0000-4000-8000-000000000003\" antagonist2Share=\"0.05\" "
                + "antagonist2Cpus=\"1\" otherHostShare=\"0.11\" otherHostProcess1=\"stress-ng\" "
                + "otherHostProcess2=\"kworker/0:1\"] vCPU 0 of db-primary");
        assertThat(message).doesNotContain("truncated");
    }

    @Test
    void controlAndBidiCharactersCannotEndTheMessageOrForgeAnother() {
        String nasty = "evil\r\n<13>1 2025-01-01T00:00:00Z forged - - - [x] gotcha\u0000\u001b[2J\u0085\u009b\u202e\"]\\";
        Alert alert = new Alert("id", "kvm-01", 1, "2025-01-02T03:04:05.000000000Z", "kvm-01", "r", nasty,
                Severity.LOW, Category.AGENT, AlertState.FIRING, new VmRef(nasty, "u", 1L, nasty, null, null, null,
                null, null), null, nasty, List.of(), Map.of(), nasty, null);
        String message = text(new Rfc5424Message(DEFAULTS, null), alert);

        assertThat(message.chars().filter(SafeText::isHazard)).isEmpty();
        assertThat(message).contains(" vm=\"evil  <13>1 2025-01-01T00:00:00Z forged - - - [x\\] gotcha\\\\u0000\\\\u001B[2J"
                + "\\\\u0085\\\\u009B\\\\u202E\\\"\\]\\\\\"");
        assertThat(message).endsWith("] evil  <13>1 2025-01-01T00:00:00Z forged - - - [x] gotcha\\u0000\\u001B[2J"
                + "\\u0085\\u009B\\u202E\"]\\");
    }

    @Test
    void valuesAndTheStructuredDataAreHeldToTheirSizes() {
        String longName = "n".repeat(5000);
        Alert noisy = TestAlerts.noisyNeighbour("kvm-01", 7);
        List<Map<String, Object>> antagonists = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            VmRef vm = new VmRef(longName + i, longName, i, null, longName, null, null, null, null);
            antagonists.add(Map.of("vm", AlertJson.mapper().convertValue(vm, Map.class), "share_of_wait", 0.1,
                    "cpus", longName));
        }
        Alert big = new Alert(noisy.id(), noisy.agent(), noisy.seq(), noisy.time(), noisy.host(), noisy.rule(),
                longName, noisy.severity(), noisy.category(), noisy.state(), new VmRef(longName, "u", 1L, longName,
                longName, longName, longName, longName, longName), 0, null, noisy.nist(),
                Map.of("antagonists", antagonists), longName, null);
        Rfc5424Message format = new Rfc5424Message(DEFAULTS, null);
        String message = text(format, big);

        assertThat(text(format, big)).isEqualTo(message);
        assertThat(message).contains(" title=\"" + "n".repeat(Rfc5424Message.MAX_SD_VALUE - 1) + "…\"");
        String sd = message.substring(message.indexOf('['), message.indexOf("] ") + 1);
        assertThat(sd.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(Rfc5424Message.MAX_SD_OCTETS);
        assertThat(sd).endsWith(" truncated=\"true\"]").contains(" antagonist1=").doesNotContain("antagonist5");
        assertThat(message.substring(message.indexOf("] ") + 2)).hasSize(Rfc5424Message.MAX_TEXT);
        assertThat(message.getBytes(StandardCharsets.UTF_8).length).isLessThan(8192);
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
