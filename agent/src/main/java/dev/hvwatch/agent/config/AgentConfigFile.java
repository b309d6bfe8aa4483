package dev.hvwatch.agent.config;

import dev.hvwatch.protocol.config.ConfigException;
import dev.hvwatch.protocol.config.StrictYaml;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Where the agent's configuration comes from: a YAML file, or the embedded default that documents every key. */
public final class AgentConfigFile {
    /** The classpath resource holding the embedded default; packages install a copy as /etc/hvwatch/agent.yaml. */
    public static final String EMBEDDED = "hvwatch-agent.yaml";

    private AgentConfigFile() {
    }

    /** @param file the config file, or null for the embedded default */
    public static AgentConfig load(Path file) throws ConfigException {
        AgentConfig config = file != null
                ? StrictYaml.load(file, AgentConfig.class)
                : StrictYaml.read("embedded default " + EMBEDDED, embeddedText(), AgentConfig.class);
        return config != null ? config : AgentConfig.defaults();
    }

    static String embeddedText() {
        try (InputStream in = AgentConfigFile.class.getResourceAsStream("/" + EMBEDDED)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Shipping needs the agent's certificate; without it the agent would run but every alert would be lost. */
    public static void requireCollectorTls(Path file, AgentConfig config) throws ConfigException {
        AgentConfig.Collector c = config.collector();
        if (c.cert() == null || c.key() == null || c.ca() == null) {
            throw new ConfigException((file != null ? file : "embedded default " + EMBEDDED)
                    + ": collector.cert, collector.key and collector.ca must be set to ship alerts"
                    + " (or try hvwatch on one machine with ./hvwatch demo)");
        }
    }
}
