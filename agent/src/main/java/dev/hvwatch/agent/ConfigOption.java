package dev.hvwatch.agent;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.config.AgentConfigFile;
import dev.hvwatch.protocol.config.ConfigException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code -c FILE} option every command that reads the agent's configuration shares (the demo's too). */
public final class ConfigOption {
    /** The installed launcher sets the variable to /etc/hvwatch/agent.yaml; from a build tree it is unset. */
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "${env:HVWATCH_AGENT_CONFIG}",
            description = "YAML config file (default: $HVWATCH_AGENT_CONFIG, which /usr/bin/hvwatch-agent sets to "
                    + "/etc/hvwatch/agent.yaml; else the embedded default).")
    Path file;

    public AgentConfig load() throws ConfigException {
        return AgentConfigFile.load(file);
    }

    String describe() {
        return file != null ? file.toString() : "embedded default";
    }
}
