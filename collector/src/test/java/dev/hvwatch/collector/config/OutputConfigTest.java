package dev.hvwatch.collector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.collector.config.OutputConfig.Facility;
import dev.hvwatch.collector.config.OutputConfig.Format;
import dev.hvwatch.collector.config.OutputConfig.MessagePart;
import dev.hvwatch.collector.config.OutputConfig.SyslogProtocol;
import dev.hvwatch.protocol.config.ConfigException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputConfigTest {
    private static final String TLS = """
            tls:
              cert: collector.pem
              key: collector-key.pem
              ca: ca.pem
            outputs:
            """;

    @TempDir
    Path dir;

    @Test
    void readsEveryOutputKeyAndResolvesRelativePaths() throws Exception {
        Map<String, OutputConfig> outputs = load("""
                  archive:
                    type: file
                    format: ocsf
                    batchSize: 100
                    retry: {initial: 1s, max: 1m}
                    path: data/alerts.ocsf
                    rotate: {maxBytes: 1048576, maxAge: 24h, keep: 3}
                  siem:
                    type: syslog
                    address: siem.example.net:6514
                    tls: {ca: siem-ca.pem, cert: me.pem, key: me-key.pem}
                    connectTimeout: 5s
                    rfc5424: {facility: local4, appName: hvw, enterpriseId: "32473.7", message: cef}
                  lab:
                    type: syslog
                    protocol: udp
                    address: 127.0.0.1:514
                  bus:
                    type: kafka
                    bootstrapServers: [k1:9092, "[::1]:9093"]
                    topic: hvwatch.alerts
                    deliveryTimeout: 20s
                    properties: {compression.type: zstd}
                  soar:
                    type: webhook
                    format: ocsf
                    url: https://soar.example.net/hook
                    tokenFile: token
                    ca: soar-ca.pem
                    timeout: 3s
                """);

        assertThat(outputs).containsOnlyKeys("archive", "siem", "lab", "bus", "soar");
        assertThat(List.copyOf(outputs.keySet())).containsExactly("archive", "siem", "lab", "bus", "soar");
        OutputConfig.File archive = (OutputConfig.File) outputs.get("archive");
        assertThat(archive.format()).isEqualTo(Format.OCSF);
        assertThat(archive.batchSize()).isEqualTo(100);
        assertThat(archive.retry()).isEqualTo(new OutputConfig.Retry(Duration.ofSeconds(1), Duration.ofMinutes(1)));
        assertThat(archive.path()).isEqualTo(dir.resolve("data/alerts.ocsf"));
        assertThat(archive.rotate()).isEqualTo(new OutputConfig.Rotate(1048576L, Duration.ofHours(24), 3));
        assertThat(archive.rfc5424()).isNull();

        OutputConfig.Syslog siem = (OutputConfig.Syslog) outputs.get("siem");
        assertThat(siem.format()).isEqualTo(Format.RFC5424);
        assertThat(siem.protocol()).isEqualTo(SyslogProtocol.TLS);
        assertThat(siem.hostPort().host()).isEqualTo("siem.example.net");
        assertThat(siem.hostPort().port()).isEqualTo(6514);
        assertThat(siem.tls()).isEqualTo(new OutputConfig.ClientTls(dir.resolve("siem-ca.pem"),
                dir.resolve("me.pem"), dir.resolve("me-key.pem")));
        assertThat(siem.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(siem.rfc5424()).isEqualTo(new OutputConfig.Rfc5424(Facility.LOCAL4, "hvw", "32473.7",
                MessagePart.CEF));

        OutputConfig.Syslog lab = (OutputConfig.Syslog) outputs.get("lab");
        assertThat(lab.protocol()).isEqualTo(SyslogProtocol.UDP);
        assertThat(lab.rfc5424()).isEqualTo(new OutputConfig.Rfc5424(Facility.AUTH, "hvwatch", "32473",
                MessagePart.TEXT));

        OutputConfig.Kafka bus = (OutputConfig.Kafka) outputs.get("bus");
        assertThat(bus.format()).isEqualTo(Format.JSON);
        assertThat(bus.bootstrapServers()).containsExactly("k1:9092", "[::1]:9093");
        assertThat(bus.topic()).isEqualTo("hvwatch.alerts");
        assertThat(bus.deliveryTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(bus.properties()).containsEntry("compression.type", "zstd");
        assertThat(bus.batchSize()).isEqualTo(OutputConfig.DEFAULT_BATCH_SIZE);
        assertThat(bus.retry()).isEqualTo(new OutputConfig.Retry(Duration.ofMillis(500), Duration.ofSeconds(30)));

        OutputConfig.Webhook soar = (OutputConfig.Webhook) outputs.get("soar");
        assertThat(soar.url()).isEqualTo(URI.create("https://soar.example.net/hook"));
        assertThat(soar.tokenFile()).isEqualTo(dir.resolve("token"));
        assertThat(soar.ca()).isEqualTo(dir.resolve("soar-ca.pem"));
        assertThat(soar.timeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void anUnknownTypeNamesTheKnownOnes() {
        assertRefused("""
                  x:
                    type: ftp
                    path: a
                """, "line 6", "ftp", "file", "kafka", "syslog", "webhook");
    }

    @Test
    void aMissingTypeIsRefused() {
        assertRefused("""
                  x:
                    path: a
                """, "line 6", "type");
    }

    @Test
    void aKeyOfAnotherTransportIsRefusedWithItsLine() {
        assertRefused("""
                  x:
                    type: file
                    path: a
                    topic: t
                """, "line 9: unknown key 'outputs.x.topic'");
    }

    @Test
    void anUnknownFormatNamesTheKnownOnes() {
        assertRefused("""
                  x:
                    type: file
                    format: leef
                    path: a
                """, "line 8", "leef", "json", "ocsf", "cef", "rfc5424");
    }

    @Test
    void outputNamesAreLabelsAndFileNamesSoTheyAreHeldToASafeAlphabet() {
        assertRefused("""
                  "a b":
                    type: file
                    path: a
                """, "outputs.a b: an output's name must be");
    }

    @Test
    void eachTransportRefusesWhatItCannotDo() {
        assertRefused("""
                  x:
                    type: syslog
                    address: h:6514
                """, "protocol tls needs tls.ca");
        assertRefused("""
                  x:
                    type: syslog
                    protocol: tcp
                    address: h:514
                    tls: {ca: ca.pem}
                """, "tls settings apply only to protocol tls, not tcp");
        assertRefused("""
                  x:
                    type: syslog
                    protocol: udp
                    address: h
                """, "address must be host:port, got 'h'");
        assertRefused("""
                  x:
                    type: syslog
                    protocol: udp
                    address: h:514
                    format: cef
                """, "syslog output: format must be rfc5424", "rfc5424.message");
        assertRefused("""
                  x:
                    type: webhook
                    url: https://h/x
                    format: cef
                """, "webhook output: posts JSON arrays, so format must be json or ocsf, not cef");
        assertRefused("""
                  x:
                    type: webhook
                    url: ftp://h/x
                """, "url must be http://HOST");
        assertRefused("""
                  x:
                    type: kafka
                    bootstrapServers: [k:9092]
                    topic: t
                    properties: {acks: "1"}
                """, "properties may not set acks");
        assertRefused("""
                  x:
                    type: kafka
                    bootstrapServers: [k:9092]
                    topic: "a topic"
                """, "topic must be 1 to 249");
        assertRefused("""
                  x:
                    type: kafka
                    topic: t
                """, "missing key 'outputs.x.bootstrapServers'");
    }

    @Test
    void sharedKeysAreChecked() {
        assertRefused("""
                  x:
                    type: file
                    path: a
                    batchSize: 0
                """, "batchSize must be between 1 and 10000, not 0");
        assertRefused("""
                  x:
                    type: file
                    path: a
                    retry: {initial: 10s, max: 1s}
                """, "retry needs 0 < initial <= max");
        assertRefused("""
                  x:
                    type: file
                    path: a
                    rfc5424: {appName: x}
                """, "rfc5424 settings apply only to format rfc5424, not json");
        assertRefused("""
                  x:
                    type: file
                    format: rfc5424
                    path: a
                    rfc5424: {appName: "has space"}
                """, "rfc5424.appName must be 1 to 48 printable ASCII characters");
        assertRefused("""
                  x:
                    type: file
                    path: a
                    rotate: {keep: 0}
                """, "rotate.keep must be 1 or more");
    }

    private void assertRefused(String outputs, String... fragments) {
        var thrown = assertThatThrownBy(() -> load(outputs)).isInstanceOf(ConfigException.class);
        for (String fragment : fragments) {
            thrown.hasMessageContaining(fragment);
        }
    }

    private Map<String, OutputConfig> load(String outputs) throws IOException, ConfigException {
        Path file = dir.resolve("collector.yaml");
        Files.writeString(file, TLS + outputs);
        return ConfigLoader.load(file).outputs();
    }
}
