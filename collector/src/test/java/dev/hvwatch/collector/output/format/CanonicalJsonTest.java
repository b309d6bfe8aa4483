package dev.hvwatch.collector.output.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.collector.testing.TestAlerts;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.EncodedAlert;
import dev.hvwatch.protocol.VmRef;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {

    @Test
    void anOrdinaryAlertIsWrittenByteForByteAsJournaled() {
        byte[] json = EncodedAlert.of(TestAlerts.noisyNeighbour("kvm-01", 1)).json();

        assertThat(format(json)).isSameAs(json);
    }

    @Test
    void hazardsJsonLetsThroughRawAreEscapedAndTheAlertStaysTheSame() throws Exception {
        String nasty = "a\r\nb\u001b[2Jc\u0000d\u0085e\u009bf\u202eg\u2028h\u2066i\u007fj";
        Alert alert = withVmName(TestAlerts.alert("kvm-01", 1), nasty);
        byte[] journaled = EncodedAlert.of(alert).json();
        // Tab and CR between tokens are JSON whitespace, and an agent may send them.
        String spaced = new String(journaled, StandardCharsets.UTF_8).replace(",\"seq\"", ",\t\r\"seq\"");

        for (byte[] json : new byte[][] {journaled, spaced.getBytes(StandardCharsets.UTF_8)}) {
            String written = new String(format(json), StandardCharsets.UTF_8);

            assertThat(written.chars().filter(SafeText::isHazard)).as(written).isEmpty();
            assertThat(written).contains("a\\r\\nb\\u001B[2Jc\\u0000d\\u0085e\\u009Bf\\u202Eg\\u2028h\\u2066i\\u007Fj");
            assertThat(AlertJson.parse(written)).isEqualTo(alert);
        }
    }

    private static byte[] format(byte[] json) {
        return new CanonicalJson().format(new JournalEntry(1, "kvm-01", 1, json), null);
    }

    private static Alert withVmName(Alert a, String name) {
        return new Alert(a.id(), a.agent(), a.seq(), a.time(), a.host(), a.rule(), a.title(), a.severity(),
                a.category(), a.state(), new VmRef(name, "u", 1L), a.vcpu(), a.device(), a.nist(), a.evidence(),
                a.message(), null);
    }
}
