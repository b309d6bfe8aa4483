package dev.hvwatch.collector.output;

import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static dev.hvwatch.collector.testing.TestAlerts.encoded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.awaitility.Durations.TEN_SECONDS;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.config.OutputConfig.SyslogProtocol;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.output.format.AlertFormat;
import dev.hvwatch.collector.output.transport.SyslogTransport;
import dev.hvwatch.collector.testing.Rsyslog;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.EncodedAlert;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The syslog output against a real rsyslogd: what arrives is what rsyslog's RFC 5424 parser read. */
class SyslogOutputTest {
    private static final int SD = Rsyslog.FIELDS.indexOf("parsed-sd");
    private static final String SD_ID = "hvwatch@32473";
    /** Quotes, backslashes and brackets that SD values must escape, and text beyond ASCII. */
    private static final String AWKWARD = "say \"hi\" [to] C:\\vm ]done[ café";

    @TempDir
    static Path dir;
    static Rsyslog rsyslog;
    static TlsFiles client;

    @BeforeAll
    static void startRsyslog() throws Exception {
        Pki pki = Pki.createCa(dir.resolve("pki"), "syslog test CA");
        client = pki.issueAgent("hvwatch-collector");
        rsyslog = new Rsyslog(dir.resolve("rsyslog"), pki.issueServer("rsyslog"));
    }

    @AfterAll
    static void stopRsyslog() throws Exception {
        if (rsyslog != null) {
            rsyslog.close();
        }
    }

    @Test
    void everyAlertArrivesOverTlsParsedAsRfc5424WithItsStructuredDataIntact(@TempDir Path journalDir)
            throws Exception {
        List<Alert> sent = new ArrayList<>(alerts("kvm-tls", 1, 300));
        sent.set(7, awkward(sent.get(7)));
        try (AlertJournal journal = AlertJournal.open(journalDir, false, a -> { });
             Output output = start(journal, SyslogProtocol.TLS, rsyslog.tlsPort)) {
            journal.append(sent.stream().map(EncodedAlert::of).toList());
            List<String[]> received = awaitReceived("tls", agentLines("kvm-tls"), sent.size());
            await("lag 0").atMost(TEN_SECONDS).until(() -> output.lag() == 0);

            assertThat(received).hasSize(sent.size());
            for (int i = 0; i < sent.size(); i++) {
                assertParsed(received.get(i), sent.get(i));
            }
            assertThat(output.errors()).isZero();
        }
    }

    @Test
    void plainTcpAndUdpForLabs(@TempDir Path journalDir) throws Exception {
        try (AlertJournal journal = AlertJournal.open(journalDir, false, a -> { })) {
            journal.append(encoded(alerts("kvm-lab", 1, 50)));
            try (Output tcp = start(journal, SyslogProtocol.TCP, rsyslog.tcpPort);
                 Output udp = Output.start("udp", journal, format(), transport(SyslogProtocol.UDP, rsyslog.udpPort),
                         50, Duration.ofMillis(10), Duration.ofMillis(100))) {
                assertSeqs(awaitReceived("tcp", 50), 50);
                assertSeqs(awaitReceived("udp", 50), 50);
                assertParsed(awaitReceived("tcp", 50).get(0), alerts("kvm-lab", 1, 1).get(0));
                assertParsed(awaitReceived("udp", 50).get(0), alerts("kvm-lab", 1, 1).get(0));
            }
        }
    }

    @Test
    void aReceiverDownThenUpLosesNothingAndTheLagReturnsToZero(@TempDir Path journalDir) throws Exception {
        try (AlertJournal journal = AlertJournal.open(journalDir, false, a -> { });
             Output output = start(journal, SyslogProtocol.TLS, rsyslog.tlsPort)) {
            journal.append(encoded(alerts("kvm-down", 1, 100)));
            awaitReceived("tls", agentLines("kvm-down"), 100);

            rsyslog.stop();
            journal.append(encoded(alerts("kvm-down", 101, 200)));
            await("a failed delivery").atMost(TEN_SECONDS).until(() -> output.errors() > 0);
            assertThat(output.up()).isFalse();
            assertThat(output.lag()).isEqualTo(100);

            rsyslog.start();
            await("lag 0").atMost(TEN_SECONDS).until(() -> output.lag() == 0);
            assertThat(output.up()).isTrue();
            assertSeqs(awaitReceived("tls", agentLines("kvm-down"), 200), 200);
        }
    }

    private static Output start(AlertJournal journal, SyslogProtocol protocol, int port) throws IOException {
        return Output.start(protocol.wireName(), journal, format(), transport(protocol, port), 64,
                Duration.ofMillis(20), Duration.ofMillis(200));
    }

    private static AlertFormat format() {
        return AlertFormat.of(config(SyslogProtocol.UDP, 1));
    }

    private static SyslogTransport transport(SyslogProtocol protocol, int port) throws IOException {
        return new SyslogTransport(config(protocol, port));
    }

    private static OutputConfig.Syslog config(SyslogProtocol protocol, int port) {
        OutputConfig.ClientTls tls = protocol == SyslogProtocol.TLS
                ? new OutputConfig.ClientTls(client.ca(), client.cert(), client.key()) : null;
        return new OutputConfig.Syslog(null, null, null, null, "localhost:" + port, protocol, tls,
                Duration.ofSeconds(2));
    }

    private static void assertParsed(String[] line, Alert alert) throws IOException {
        assertThat(line).as("fields %s", Rsyslog.FIELDS).hasSize(Rsyslog.FIELDS.size());
        assertThat(line[1]).as("protocol-version: parsed as RFC 5424").isEqualTo("1");
        assertThat(line[2]).as("pri").isEqualTo("35");
        assertThat(line[3]).as("timestamp").isEqualTo(alert.time().substring(0, 26) + "Z");
        assertThat(line[4]).as("hostname").isEqualTo(alert.host());
        assertThat(line[5]).as("app-name").isEqualTo("hvwatch");
        assertThat(line[6]).as("procid").isEqualTo("-");
        assertThat(line[7]).as("msgid").isEqualTo(alert.rule());
        assertThat(line[8]).as("structured-data").startsWith("[" + SD_ID + " id=");
        JsonNode sd = AlertJson.mapper().readTree(line[SD]).get(SD_ID);
        assertThat(sd).as("rsyslog's mmpstrucdata parse of the SD: " + line[SD]).isNotNull();
        Map<String, String> expected = Map.of("id", alert.id(), "agent", alert.agent(),
                "seq", Long.toString(alert.seq()), "rule", alert.rule(), "title", alert.title(),
                "severity", alert.severity().wireName(), "category", alert.category().wireName(),
                "state", alert.state().wireName(), "vmUuid", alert.vm().uuid(), "nist", String.join(",", alert.nist()));
        expected.forEach((key, value) -> assertThat(sd.path(key).asText()).as("SD " + key).isEqualTo(value));
        assertThat(line[10]).as("msg").isEqualTo(alert.message());
    }

    private static void assertSeqs(List<String[]> lines, int count) throws IOException {
        Set<Long> seqs = new HashSet<>();
        for (String[] line : lines) {
            seqs.add(AlertJson.mapper().readTree(line[SD]).get(SD_ID).get("seq").asLong());
        }
        assertThat(lines).as("no duplicates").hasSize(count);
        assertThat(seqs).hasSize(count).allMatch(seq -> seq >= 1 && seq <= count);
    }

    private static List<String[]> awaitReceived(String input, int count) throws Exception {
        return awaitReceived(input, line -> true, count);
    }

    private static List<String[]> awaitReceived(String input, java.util.function.Predicate<String[]> which,
            int count) throws Exception {
        await(count + " messages on " + input).atMost(TEN_SECONDS).until(() -> {
            try {
                return byInput(input).stream().filter(which).count() >= count;
            } catch (IOException e) {
                return false;
            }
        });
        Thread.sleep(100);
        return byInput(input).stream().filter(which).collect(Collectors.toList());
    }

    private static java.util.function.Predicate<String[]> agentLines(String agent) {
        return line -> line[4].equals(agent);
    }

    private static List<String[]> byInput(String input) throws IOException {
        return rsyslog.received().stream().filter(line -> line[0].equals(input)).toList();
    }

    private static Alert awkward(Alert a) {
        return new Alert(a.id(), a.agent(), a.seq(), a.time(), a.host(), a.rule(), AWKWARD, a.severity(),
                a.category(), a.state(), a.vm(), a.vcpu(), a.device(), a.nist(), a.evidence(), a.message(),
                a.runbookUrl());
    }
}
