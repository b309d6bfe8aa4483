package dev.hvwatch.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.config.AgentConfigFile;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The configuration the packages install is valid for the programs that read it, and agrees with the units: each
 * service's state lives in the StateDirectory systemd creates for it and the package's purge removes, and each runs
 * as the user its package creates.
 */
class ShippedFilesTest {
    private static final Path CONFIG = Path.of("src/main/config");

    @Test
    void theAgentsConfigurationLoadsAndKeepsItsStateWhereTheUnitAndPurgeExpectIt() throws Exception {
        AgentConfig config = AgentConfigFile.load(CONFIG.resolve("agent.yaml"));
        assertThat(config.state().dir()).isEqualTo(Path.of("/var/lib/hvwatch/agent"));
        assertThat(config.metrics().listen()).isEqualTo("127.0.0.1:9847");
        assertThat(config.collector().cert()).isEqualTo(Path.of("/etc/hvwatch/tls/agent.pem"));
        assertThat(config.rules().runbooks()).isEqualTo("file:///usr/share/doc/hvwatch-agent/runbooks/");
        assertThat(unit("hvwatch-agent")).contains("StateDirectory=hvwatch/agent", "User=hvwatch-agent",
                "ExecStart=/usr/bin/hvwatch-agent run");
    }

    @Test
    void theCollectorsConfigurationLoadsAndKeepsItsJournalWhereTheUnitAndPurgeExpectIt() throws Exception {
        CollectorConfig config = ConfigLoader.load(CONFIG.resolve("collector.yaml"));
        assertThat(config.journal().dir()).startsWithRaw(Path.of("/var/lib/hvwatch/collector"));
        assertThat(config.tls().cert()).isEqualTo(Path.of("/etc/hvwatch/tls/collector.pem"));
        assertThat(config.api().listen().getPort()).isEqualTo(9848);
        assertThat(config.outputs()).isEmpty();
        assertThat(unit("hvwatch-collector")).contains("StateDirectory=hvwatch/collector",
                "User=hvwatch-collector", "ExecStart=/usr/bin/hvwatch-collector run");
    }

    @Test
    void theAgentUnitGrantsExactlyTheCapabilitiesItDocuments() throws Exception {
        List<String> unit = unit("hvwatch-agent");
        String caps = "CAP_SYS_PTRACE CAP_PERFMON CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE CAP_SYSLOG";
        assertThat(unit).contains("CapabilityBoundingSet=" + caps, "AmbientCapabilities=" + caps);
        for (String cap : caps.split(" ")) {
            assertThat(unit).as("a comment says why %s", cap).anyMatch(l -> l.startsWith("# " + cap + ":"));
        }
        assertThat(unit("hvwatch-collector")).contains("CapabilityBoundingSet=", "AmbientCapabilities=");
    }

    private static List<String> unit(String name) throws Exception {
        return Files.readAllLines(Packages.unit(name));
    }
}
