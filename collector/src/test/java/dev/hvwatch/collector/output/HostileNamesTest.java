package dev.hvwatch.collector.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.awaitility.Durations.TEN_SECONDS;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.config.OutputConfig.Format;
import dev.hvwatch.collector.config.OutputConfig.MessagePart;
import dev.hvwatch.collector.config.OutputConfig.SyslogProtocol;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.output.format.AlertFormat;
import dev.hvwatch.collector.output.transport.FileTransport;
import dev.hvwatch.collector.output.transport.SyslogTransport;
import dev.hvwatch.collector.testing.Rsyslog;
import dev.hvwatch.collector.testing.TestAlerts;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.EncodedAlert;
import dev.hvwatch.protocol.VmRef;
import dev.hvwatch.protocol.tls.Pki;
import java.io.Closeable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nastiest names a guest's owner can give (line breaks with a forged syslog header, terminal escape sequences,
 * NUL, C1 controls, bidirectional overrides, separators, very long ones) in every field a tenant influences, through
 * every output format: each alert must reach the receiver as exactly one record, with no raw control character, and
 * still parse. RFC 5424 in each message form goes to a real rsyslogd that keeps control characters as received and
 * takes messages up to its default 8 KiB; the line formats go to files, counted by lines.
 */
class HostileNamesTest {
    private static final String AGENT = "kvm-01";
    private static final String LONG = "long-" + "x".repeat(6000) + "\u001b[0m" + "y".repeat(6000);
    private static final List<String> NASTY = List.of(
            "evil\r\n<13>1 2025-01-01T00:00:00Z forged app - - - forged record\nCEF:0|forged|x|1|r|n|10|",
            "esc\u001b[2J\u001b]0;owned\u0007\u001b[31mred\u001bP+q\u001b\\",
            "nul\u0000byte\u0000",
            "c1\u0085nel\u009b31mcsi\u008dri\u009d0;t\u009c",
            "bidi\u202egnp.exe\u202c\u2066isolate\u2069\u200f\u061c",
            "sep\u2028line\u2029paragraph\rcr\u000bvt\u000cff\ttab\u007fdel",
            "quote\" ] \\ = | } { [hvwatch@32473 seq=\"99\"]",
            LONG);

    @TempDir
    Path dir;

    @Test
    void everyFormatDeliversEachAlertAsOneCleanRecord() throws Exception {
        List<Alert> alerts = new ArrayList<>();
        for (int i = 0; i < NASTY.size(); i++) {
            alerts.add(hostile(i + 1, NASTY.get(i)));
        }
        Pki pki = Pki.createCa(dir.resolve("pki"), "hostile test CA");
        List<Closeable> running = new ArrayList<>();
        try (Rsyslog rsyslog = Rsyslog.raw(dir.resolve("rsyslog"), pki.issueServer("rsyslog"));
             AlertJournal journal = AlertJournal.open(dir.resolve("journal"), false, a -> { })) {
            journal.append(alerts.stream().map(EncodedAlert::of).toList());
            Map<String, Path> files = new LinkedHashMap<>();
            for (Format format : List.of(Format.JSON, Format.OCSF, Format.CEF, Format.RFC5424)) {
                Path file = dir.resolve("out/" + format.wireName());
                OutputConfig.File config = new OutputConfig.File(format, null, null, null, file, null);
                running.add(Output.start("file-" + format.wireName(), journal, AlertFormat.of(config),
                        new FileTransport(file, config.rotate(), Clock.systemUTC()), 3, Duration.ofMillis(10),
                        Duration.ofMillis(100)));
                files.put(format.wireName(), file);
            }
            for (MessagePart part : MessagePart.values()) {
                OutputConfig.Syslog config = new OutputConfig.Syslog(null,
                        new OutputConfig.Rfc5424(null, null, null, part), null, null,
                        "localhost:" + rsyslog.tcpPort, SyslogProtocol.TCP, null, Duration.ofSeconds(2));
                running.add(Output.start("syslog-" + part.wireName(), journal, AlertFormat.of(config),
                        new SyslogTransport(config), 3, Duration.ofMillis(10), Duration.ofMillis(100)));
            }

            await("every output delivered").atMost(TEN_SECONDS).until(() -> running.stream()
                    .allMatch(o -> ((Output) o).lag() == 0 && ((Output) o).delivered() == alerts.size()));
            for (Map.Entry<String, Path> file : files.entrySet()) {
                assertFileRecords(file.getKey(), file.getValue(), alerts);
            }
            await("rsyslog wrote every message").atMost(TEN_SECONDS)
                    .until(() -> received(rsyslog) >= 4L * alerts.size());
            rsyslog.stop();
            assertSyslogRecords(rsyslog, alerts);
        } finally {
            for (Closeable output : running) {
                output.close();
            }
        }
    }

    private static void assertFileRecords(String format, Path file, List<Alert> alerts) throws Exception {
        String content = Files.readString(file, StandardCharsets.UTF_8);
        List<String> records = List.of(content.split("\n", -1));
        assertThat(records.get(records.size() - 1)).as(format + ": ends in a newline").isEmpty();
        assertThat(records.subList(0, records.size() - 1)).as(format + ": one line per alert").hasSize(alerts.size());
        assertNoHazards(format, content.replace("\n", ""));
        for (int i = 0; i < alerts.size(); i++) {
            String record = records.get(i);
            Alert alert = alerts.get(i);
            switch (format) {
                case "json" -> assertThat(AlertJson.toLine(AlertJson.parse(record))).as(format)
                        .isEqualTo(AlertJson.toLine(alert));
                case "ocsf" -> {
                    JsonNode finding = AlertJson.mapper().readTree(record);
                    assertThat(finding.at("/unmapped/seq").asLong()).isEqualTo(alert.seq());
                    assertThat(finding.at("/resources/0/name").asText()).as(format).isEqualTo(alert.vm().name());
                    assertThat(finding.at("/cloud/account/name").asText()).isEqualTo(alert.vm().project());
                }
                case "cef" -> assertThat(record).as(format).startsWith("CEF:0|hvwatch|hvwatch|")
                        .contains(" cn1=" + alert.seq() + " ");
                default -> assertThat(record).as(format).startsWith("<").contains(" seq=\"" + alert.seq() + "\"");
            }
        }
    }

    private static void assertSyslogRecords(Rsyslog rsyslog, List<Alert> alerts) throws Exception {
        List<String[]> received = rsyslog.received();
        assertThat(received).as("one record per alert and message form").hasSize(4 * alerts.size());
        Set<String> seen = new HashSet<>();
        for (String[] record : received) {
            assertThat(record).as("fields of %s", String.join("|", record)).hasSize(Rsyslog.FIELDS.size());
            assertThat(record[1]).as("parsed as RFC 5424").isEqualTo("1");
            assertNoHazards("syslog", String.join("", record));
            JsonNode sd = AlertJson.mapper().readTree(record[Rsyslog.FIELDS.indexOf("parsed-sd")]).get("hvwatch@32473");
            assertThat(sd).as("structured data of %s", record[8]).isNotNull();
            String msg = record[Rsyslog.FIELDS.indexOf("msg")];
            String form = msg.startsWith("{\"id\"") ? "json" : msg.startsWith("{\"activity_id\"") ? "ocsf"
                    : msg.startsWith("CEF:0|") ? "cef" : "text";
            if (!form.equals("text")) {
                assertThat(msg.getBytes(StandardCharsets.UTF_8).length).isLessThan(8192);
            }
            if (form.equals("json") || form.equals("ocsf")) {
                AlertJson.mapper().readTree(msg);
            }
            assertThat(seen.add(form + "/" + sd.get("seq").asText())).as("no record twice").isTrue();
        }
        for (String form : List.of("text", "json", "ocsf", "cef")) {
            assertThat(LongStream.rangeClosed(1, alerts.size()).mapToObj(seq -> form + "/" + seq))
                    .as(form).allMatch(seen::contains);
        }
    }

    private static long received(Rsyslog rsyslog) {
        try {
            return rsyslog.received().size();
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static void assertNoHazards(String what, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean hazard = c < 0x20 && c != '\t' || c >= 0x7f && c <= 0x9f || c == 0x061c || c == 0x200e
                    || c == 0x200f || c >= 0x2028 && c <= 0x202e || c >= 0x2066 && c <= 0x2069;
            assertThat(hazard).as("%s: U+%04X at %d", what, (int) c, i).isFalse();
        }
    }

    /** An alert whose every field a tenant can influence is {@code nasty}. */
    private static Alert hostile(long seq, String nasty) {
        Alert base = TestAlerts.alert(AGENT, seq);
        VmRef vm = new VmRef(nasty, "5f0c8a4e-0000-4000-8000-00000000000" + seq, 4242L, nasty, nasty, nasty, nasty,
                nasty, "libvirt");
        Map<String, Object> antagonist = Map.of("vm", AlertJson.mapper().convertValue(
                new VmRef(nasty, "u", 1L, nasty, nasty, null, nasty, null, "qemu"), Map.class),
                "share_of_wait", 0.8, "cpus", nasty);
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("waitRatio", 0.9);
        evidence.put("note", nasty);
        evidence.put("antagonists", List.of(antagonist, antagonist));
        evidence.put("other_host_share", 0.1);
        evidence.put("other_host_processes", List.of(nasty, nasty));
        return new Alert(base.id(), AGENT, seq, base.time(), AGENT, base.rule(), nasty, base.severity(),
                base.category(), base.state(), vm, 0, nasty, List.of("HY-SR-5", nasty), evidence,
                "vCPU 0 of " + nasty + " waited", null);
    }
}
