package dev.hvwatch.collector.config;

import dev.hvwatch.protocol.config.ConfigException;
import dev.hvwatch.protocol.config.StrictYaml;
import java.nio.file.Path;

/** Reads {@code collector.yaml} strictly (see {@link StrictYaml}); relative paths are relative to the file. */
public final class ConfigLoader {
    private ConfigLoader() {
    }

    public static CollectorConfig load(Path file) throws ConfigException {
        CollectorConfig config = StrictYaml.load(file, CollectorConfig.class);
        if (config == null) {
            throw new ConfigException(file + ": empty, but tls is required");
        }
        return config.resolvedAgainst(file.toAbsolutePath().getParent());
    }
}
