package dev.hvwatch.collector;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code -c FILE} option every collector command that reads the configuration takes. */
final class ConfigOption {
    /** The installed launcher sets the variable to /etc/hvwatch/collector.yaml; from a build tree it is unset. */
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
            defaultValue = "${env:HVWATCH_COLLECTOR_CONFIG}",
            description = "collector.yaml (default: $HVWATCH_COLLECTOR_CONFIG, which /usr/bin/hvwatch-collector sets "
                    + "to /etc/hvwatch/collector.yaml)")
    Path file;
}
