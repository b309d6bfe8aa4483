package dev.hvwatch.agent;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.config.AgentConfigFile;
import dev.hvwatch.protocol.config.ConfigException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code -c FILE} option every command that reads the agent's configuration shares. */
final class ConfigOption {
    @Option(names = {"-c", "--config"}, description = "YAML config file (default: the embedded default).")
    Path file;

    AgentConfig load() throws ConfigException {
        return AgentConfigFile.load(file);
    }

    String describe() {
        return file != null ? file.toString() : "embedded default";
    }
}
