package dev.hvwatch.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.hvwatch.agent.spool.SpoolLimits;
import dev.hvwatch.protocol.config.ConfigException;
import dev.hvwatch.protocol.config.HostPort;
import dev.hvwatch.protocol.config.StrictYaml;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgentConfigFileTest {

    private static AgentConfig parse(String origin, String text) throws ConfigException {
        AgentConfig c = StrictYaml.read(origin, text, AgentConfig.class);
        return c != null ? c : AgentConfig.defaults();
    }

    @Test
    void theEmbeddedDefaultParsesToTheBuiltInDefaults() throws Exception {
        AgentConfig parsed = AgentConfigFile.load(null);
        assertThat(parsed).isEqualTo(AgentConfig.defaults());
        assertThat(parsed.sampling().interval()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void readsDurationsAndOverrides() throws Exception {
        AgentConfig c = parse("t.yaml", """
                sampling:
                  interval: 250ms
                rules:
                  files: [/etc/hvwatch/rules.d]
                kmsg:
                  enabled: false
                """);
        assertThat(c.sampling().interval()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.rules().files()).containsExactly(java.nio.file.Path.of("/etc/hvwatch/rules.d"));
        assertThat(c.kmsg().enabled()).isFalse();
        assertThat(c.state().dir()).isEqualTo(java.nio.file.Path.of("/var/lib/hvwatch"));
    }

    @Test
    void theRunbooksBaseUrlIsReadAndAMalformedOneNamesItsKeyAndLine() throws Exception {
        assertThat(AgentConfig.defaults().rules().runbooks()).isEqualTo("file:///usr/share/doc/hvwatch-agent/runbooks/");
        assertThat(parse("r.yaml", "rules:\n  runbooks: https://wiki.example.net/hvwatch/\n").rules().runbooks())
                .isEqualTo("https://wiki.example.net/hvwatch/");
        assertThatThrownBy(() -> parse("r.yaml", "rules:\n  runbooks: https://wiki.example.net/hvwatch\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("r.yaml line 1: rules.runbooks must be an absolute URL ending in '/'");
    }

    @Test
    void unknownKeyNamesFileLineAndKey() {
        assertThatThrownBy(() -> parse("agent.yaml", """
                sampling:
                  interval: 1s
                  intervall: 2s
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml line 3: ")
                .hasMessageContaining("unknown key 'sampling.intervall'")
                .hasMessageContaining("interval");
    }

    @Test
    void badValuesNameTheKeyAndLine() {
        assertThatThrownBy(() -> parse("a.yaml", "sampling:\n  interval: soon\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("a.yaml line 2: sampling.interval: ")
                .hasMessageContaining("'soon' is not a duration");
        assertThatThrownBy(() -> parse("a.yaml", "collector:\n  batchSize: 0\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("a.yaml line 1: collector.batchSize must be at least 1, got 0");
        assertThatThrownBy(() -> parse("a.yaml", "ring:\n  size: 1000\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("a.yaml line 1: ring.size must be a power of two, got 1000");
        assertThatThrownBy(() -> parse("a.yaml", "metrics:\n  listen: nowhere\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("metrics.listen must be host:port");
        assertThatThrownBy(() -> parse("a.yaml", "sampling:\n\tinterval: 1s\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("a.yaml line 2: not valid YAML");
        assertThatThrownBy(() -> parse("a.yaml", "sampling: [1, 2]\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("a.yaml line 1: sampling: Cannot deserialize");
    }

    @Test
    void spoolLimitsAndCollectorFailoverAreRead() throws Exception {
        AgentConfig c = parse("d.yaml", """
                collector:
                  address: a.example.net:7847
                  failover: [b.example.net:7847, "[::1]:7900"]
                  batchSize: 50
                spool:
                  maxAlerts: 20
                  maxAge: 2d
                """);

        assertThat(c.collector().addresses()).extracting(HostPort::host, HostPort::port).containsExactly(
                tuple("a.example.net", 7847), tuple("b.example.net", 7847), tuple("::1", 7900));
        assertThat(c.collector().batchSize()).isEqualTo(50);
        assertThat(c.spool().limits()).isEqualTo(new SpoolLimits(20, Duration.ofDays(2)));
        assertThatThrownBy(() -> parse("d.yaml", "spool:\n  maxAlerts: 0\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("d.yaml line 1: spool.maxAlerts must be at least 1, got 0");
        assertThatThrownBy(() -> parse("d.yaml", "collector:\n  failover: [nowhere]\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("collector.failover[0] must be host:port, got 'nowhere'");
    }

    @Test
    void attributionIsReadAndABadFloorNamesTheKey() throws Exception {
        AgentConfig c = parse("a.yaml", """
                attribution:
                  enabled: false
                  interval: 2s
                  interferenceFloor: 0.25
                """);
        assertThat(c.attribution()).isEqualTo(new AgentConfig.Attribution(false, Duration.ofSeconds(2), 0.25));
        assertThat(AgentConfig.defaults().attribution())
                .isEqualTo(new AgentConfig.Attribution(true, Duration.ofSeconds(5), 0.1));
        assertThatThrownBy(() -> parse("a.yaml", "attribution:\n  interferenceFloor: 0\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("a.yaml line 1: attribution.interferenceFloor must be a share above 0 and at most 1, got 0.0");
        assertThatThrownBy(() -> parse("a.yaml", "attribution:\n  interval: 0s\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("a.yaml line 1: attribution.interval must be positive");
        assertThatThrownBy(() -> parse("a.yaml", "attribution:\n  floor: 0.2\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("a.yaml line 2: ").hasMessageContaining("unknown key 'attribution.floor'");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> AgentConfigFile.load(java.nio.file.Path.of("/nonexistent/agent.yaml")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("/nonexistent/agent.yaml: no such file");
    }

    @Test
    void anEmptyFileMeansDefaults() throws ConfigException {
        assertThat(parse("empty.yaml", "\n")).isEqualTo(AgentConfig.defaults());
    }
}
