package dev.hvwatch.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    private final ConfigLoader loader = new ConfigLoader();

    @Test
    void theEmbeddedDefaultParsesToTheBuiltInDefaults() throws Exception {
        String text;
        try (InputStream in = getClass().getResourceAsStream("/hvwatch-agent.yaml")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        AgentConfig parsed = loader.parse("embedded", text);
        assertThat(parsed).isEqualTo(AgentConfig.defaults());
        assertThat(parsed.sampling().interval()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void readsDurationsAndOverrides() throws Exception {
        AgentConfig c = loader.parse("t.yaml", """
                sampling:
                  interval: 250ms
                rules:
                  starvation:
                    fire: 0.9
                    for: 2m
                """);
        assertThat(c.sampling().interval()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.rules().starvation().fire()).isEqualTo(0.9);
        assertThat(c.rules().starvation().holdFor()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.rules().starvation().resolve()).isEqualTo(0.15);
    }

    @Test
    void unknownKeyNamesFileLineAndKey() {
        assertThatThrownBy(() -> loader.parse("agent.yaml", """
                sampling:
                  interval: 1s
                  intervall: 2s
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:3:")
                .hasMessageContaining("unknown key 'sampling.intervall'")
                .hasMessageContaining("interval");
    }

    @Test
    void badValuesNameTheKeyAndLine() {
        assertThatThrownBy(() -> loader.parse("a.yaml", "sampling:\n  interval: soon\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("a.yaml:2:")
                .hasMessageContaining("'soon' is not a duration");
        assertThatThrownBy(() -> loader.parse("a.yaml", "rules:\n  starvation:\n    fire: 0.2\n    resolve: 0.5\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("rules.starvation.resolve (0.5) must not exceed rules.starvation.fire (0.2)");
        assertThatThrownBy(() -> loader.parse("a.yaml", "ring:\n  size: 1000\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("ring.size must be a power of two, got 1000");
        assertThatThrownBy(() -> loader.parse("a.yaml", "metrics:\n  listen: nowhere\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("metrics.listen must be host:port");
        assertThatThrownBy(() -> loader.parse("a.yaml", "sampling: [1, 2\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("a.yaml:");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> loader.load(java.nio.file.Path.of("/nonexistent/agent.yaml")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("/nonexistent/agent.yaml: no such file");
    }

    @Test
    void anEmptyFileMeansDefaults() throws IOException, ConfigException {
        assertThat(loader.parse("empty.yaml", "\n")).isEqualTo(AgentConfig.defaults());
    }
}
