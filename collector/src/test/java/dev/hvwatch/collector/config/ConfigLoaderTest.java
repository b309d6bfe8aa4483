package dev.hvwatch.collector.config;

import dev.hvwatch.protocol.config.ConfigException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static final String TLS = """
            tls:
              cert: collector.pem
              key: collector-key.pem
              ca: /etc/hvwatch/ca.pem
            """;

    @TempDir
    Path dir;

    @Test
    void readsEveryKeyAndResolvesRelativePathsAgainstTheConfigFile() throws Exception {
        CollectorConfig config = load("""
                listen: 0.0.0.0:9000
                tls:
                  cert: collector.pem
                  key: collector-key.pem
                  ca: /etc/hvwatch/ca.pem
                  crl: crl.pem
                  reloadInterval: 2s
                journal:
                  dir: data/journal
                  sync: true
                outputs:
                  jsonl:
                    type: file
                    path: data/alerts.jsonl
                api:
                  listen: 0.0.0.0:9900
                  tls:
                    cert: api.pem
                    key: api-key.pem
                    ca: ca.pem
                    crl: crl.pem
                  tokens: api-tokens
                  clientNames: [siem-1, grafana]
                  openOnLoopback: [/metrics]
                  stream:
                    maxClients: 8
                    heartbeat: 5s
                    stallTimeout: 3s
                maxFrameBytes: 65536
                idleTimeout: 90s
                """);

        assertThat(config.listen().getHostString()).isEqualTo("0.0.0.0");
        assertThat(config.listen().getPort()).isEqualTo(9000);
        assertThat(config.tls().cert()).isEqualTo(dir.resolve("collector.pem"));
        assertThat(config.tls().key()).isEqualTo(dir.resolve("collector-key.pem"));
        assertThat(config.tls().ca()).isEqualTo(Path.of("/etc/hvwatch/ca.pem"));
        assertThat(config.tls().crl()).isEqualTo(dir.resolve("crl.pem"));
        assertThat(config.tls().reloadInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.journal().dir()).isEqualTo(dir.resolve("data/journal"));
        assertThat(config.journal().sync()).isTrue();
        assertThat(((OutputConfig.File) config.outputs().get("jsonl")).path())
                .isEqualTo(dir.resolve("data/alerts.jsonl"));
        assertThat(config.api().listen().getHostString()).isEqualTo("0.0.0.0");
        assertThat(config.api().listen().getPort()).isEqualTo(9900);
        assertThat(config.api().tls().cert()).isEqualTo(dir.resolve("api.pem"));
        assertThat(config.api().tls().ca()).isEqualTo(dir.resolve("ca.pem"));
        assertThat(config.api().tls().crl()).isEqualTo(dir.resolve("crl.pem"));
        assertThat(config.api().tokens()).isEqualTo(dir.resolve("api-tokens"));
        assertThat(config.api().clientNames()).containsExactly("siem-1", "grafana");
        assertThat(config.api().openOnLoopback()).containsExactly("/metrics");
        assertThat(config.api().stream())
                .isEqualTo(new CollectorConfig.Stream(8, Duration.ofSeconds(5), Duration.ofSeconds(3)));
        assertThat(config.maxFrameBytes()).isEqualTo(65536);
        assertThat(config.idleTimeout()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void everythingButTlsHasADefault() throws Exception {
        CollectorConfig config = load(TLS);

        assertThat(config.listen().getHostString()).isEqualTo("127.0.0.1");
        assertThat(config.listen().getPort()).isEqualTo(7847);
        assertThat(config.journal().dir()).isEqualTo(Path.of("/var/lib/hvwatch/journal"));
        assertThat(config.journal().sync()).isFalse();
        assertThat(config.outputs()).isEmpty();
        assertThat(config.tls().crl()).isNull();
        assertThat(config.tls().reloadInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.api().listen().getHostString()).isEqualTo("127.0.0.1");
        assertThat(config.api().listen().getPort()).isEqualTo(9848);
        assertThat(config.api().tls()).isNull();
        assertThat(config.api().tokens()).isNull();
        assertThat(config.api().clientNames()).isEmpty();
        assertThat(config.api().openOnLoopback()).containsExactly("/healthz", "/readyz", "/metrics");
        assertThat(config.api().stream())
                .isEqualTo(new CollectorConfig.Stream(64, Duration.ofSeconds(15), Duration.ofSeconds(10)));
        assertThat(config.maxFrameBytes()).isEqualTo(1024 * 1024);
        assertThat(config.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void ipv6ListenAddressesTakeBrackets() throws Exception {
        CollectorConfig config = load("listen: \"[::1]:7847\"\n" + TLS);

        assertThat(config.listen().getHostString()).isEqualTo("::1");
    }

    @Test
    void unknownTopLevelKeyIsNamedWithItsLine() throws IOException {
        assertThatThrownBy(() -> load(TLS + "lisen: 0.0.0.0:7847\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 5: unknown key 'lisen'")
                .hasMessageContaining("listen");
    }

    @Test
    void unknownNestedKeyIsNamedWithItsPathAndLine() throws IOException {
        assertThatThrownBy(() -> load("""
                journal:
                  dir: a
                tls:
                  cert: c.pem
                  crt: c.pem
                  key: k.pem
                  ca: ca.pem
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 5: unknown key 'tls.crt' (known there: ca, cert, crl, key, reloadInterval)");
    }

    @Test
    void badDurationIsNamedWithItsKeyAndLine() throws IOException {
        assertThatThrownBy(() -> load(TLS + "idleTimeout: 60 seconds\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 5: idleTimeout:")
                .hasMessageContaining("e.g. 500ms or 10s");
    }

    @Test
    void badListenAddressIsNamedWithItsKeyAndLine() throws IOException {
        assertThatThrownBy(() -> load("listen: localhost\n" + TLS))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 1: listen:")
                .hasMessageContaining("host:port");
    }

    @Test
    void wrongTypeIsNamedWithItsKeyAndLine() throws IOException {
        assertThatThrownBy(() -> load(TLS + "maxFrameBytes: lots\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 5: maxFrameBytes:");
    }

    @Test
    void missingRequiredKeyIsNamed() throws IOException {
        assertThatThrownBy(() -> load("""
                tls:
                  cert: c.pem
                  ca: ca.pem
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageEndingWith("collector.yaml line 1: missing key 'tls.key'");
        assertThatThrownBy(() -> load("listen: 127.0.0.1:7847\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageEndingWith("collector.yaml: missing key 'tls'");
    }

    @Test
    void outOfRangeValueIsNamed() throws IOException {
        assertThatThrownBy(() -> load(TLS + "maxFrameBytes: 10\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("maxFrameBytes must be between 64 and 67108864, not 10");
    }

    @Test
    void apiMistakesAreNamedWithTheirKeyAndLine() throws IOException {
        assertThatThrownBy(() -> load(TLS + "api:\n  openOnLoopback: [/api/v1/alerts]\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 5: api.openOnLoopback: '/api/v1/alerts' cannot be opened");
        assertThatThrownBy(() -> load(TLS + "api:\n  clientNames: [siem]\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("api.clientNames needs api.tls");
        assertThatThrownBy(() -> load(TLS + "api:\n  listen: 0.0.0.0:9848\n  tokens: t\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("api.listen 0.0.0.0:9848 is not a loopback address")
                .hasMessageContaining("configure api.tls");
        assertThatThrownBy(() -> load(TLS + "api:\n  stream:\n    maxClients: 0\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("api.stream.maxClients must be between 1 and 10000, not 0");
        assertThatThrownBy(() -> load(TLS + "api:\n  token: t\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 6: unknown key 'api.token'");
        assertThatThrownBy(() -> load(TLS + "metrics:\n  listen: 127.0.0.1:9848\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 5: unknown key 'metrics'")
                .hasMessageContaining("api");
    }

    @Test
    void tokensOnLoopbackNeedNoTls() throws Exception {
        CollectorConfig config = load(TLS + "api:\n  listen: \"[::1]:9848\"\n  tokens: t\n");

        assertThat(config.api().tokens()).isEqualTo(dir.resolve("t"));
    }

    @Test
    void yamlSyntaxErrorGivesItsLine() throws IOException {
        assertThatThrownBy(() -> load(TLS + "journal: [unclosed\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageMatching("(?s).*line \\d+: .*");
    }

    @Test
    void emptyOrMissingFilesAreConfigErrors() throws IOException {
        assertThatThrownBy(() -> load("")).isInstanceOf(ConfigException.class).hasMessageContaining("tls");
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("absent.yaml")))
                .isInstanceOf(ConfigException.class)
                .hasMessageEndingWith("absent.yaml: no such file");
    }

    private CollectorConfig load(String yaml) throws IOException, ConfigException {
        Path file = dir.resolve("collector.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file);
    }
}
