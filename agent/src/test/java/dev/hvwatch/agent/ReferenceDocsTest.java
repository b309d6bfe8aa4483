package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.testkit.ConfigKeys;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.DocRegion;
import dev.hvwatch.testkit.MetricFamilies;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The agent's reference tables in docs/ are generated from the code: the configuration keys with their defaults,
 * the rules of the default pack (the NIST table: RulesCoverageTest), the series the agent registers with their help text. Each test fails when its
 * table drifts from the code, and says how to regenerate it.
 */
class ReferenceDocsTest {
    private static final String REGENERATE = "mvn -B -pl agent -am test -Dtest=ReferenceDocsTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false";
    /** The one default that depends on the machine; its meaning says what it is. */
    private static final String HOST_KEY = "identity.host";

    @TempDir
    Path dir;

    @Test
    void configurationListsEveryAgentKeyWithItsDefaultAndMeaning() {
        DocRegion region = DocRegion.of("docs/configuration.md", "agent-config");
        List<ConfigKeys.Key> keys = ConfigKeys.of("", AgentConfig.class, AgentConfig.defaults()).stream()
                .map(k -> k.path().equals(HOST_KEY) ? new ConfigKeys.Key(HOST_KEY, "", false) : k)
                .toList();

        region.assertHolds(ConfigKeys.markdown(keys, region.lastCellByFirst()), REGENERATE);
        assertThat(region.lastCellByFirst()).as("every key in %s has a meaning", region.file())
                .allSatisfy((key, meaning) -> assertThat(meaning).as(key).isNotBlank());
    }

    @Test
    void rulesListEveryDefaultRuleWithSeverityCategoryAndNistItems() {
        DocRegion.of("docs/rules.md", "default-rules").assertHolds(run("rules", "list", "--markdown"), REGENERATE);
    }

    /**
     * The series of the golden fixture host (every per-VM and host series the sources feed) and those a whole agent
     * registers for itself, started on a host without VMs; KVM statistics, named by the kernel, are one family.
     */
    @Test
    void metricsListEverySeriesTheAgentRegistersWithItsHelp() throws Exception {
        String golden = Files.readString(Path.of("src/test/resources/golden/metrics.txt"));
        String own = scrapeAnAgentWithoutVms();

        DocRegion.of("docs/metrics.md", "agent-metrics").assertHolds(MetricFamilies.markdown(List.of(golden, own)),
                REGENERATE);
    }

    private String scrapeAnAgentWithoutVms() throws Exception {
        Path proc = Files.createDirectories(dir.resolve("proc"));
        Path sys = Files.createDirectories(dir.resolve("sys"));
        TlsFiles tls = Pki.createCa(dir.resolve("pki"), "docs CA").issueAgent("hv-docs");
        int nobody;
        try (ServerSocket s = new ServerSocket(0)) {
            nobody = s.getLocalPort(); // closed again: the agent finds no collector there, and keeps its alerts
        }
        AgentConfig config = new AgentConfig(new AgentConfig.Identity("hv-docs"),
                new AgentConfig.Sampling(Duration.ofMillis(200), proc), null, null,
                new AgentConfig.Metrics("127.0.0.1:0"),
                new AgentConfig.Collector("127.0.0.1:" + nobody, null, tls.cert(), tls.key(), tls.ca(), null),
                new AgentConfig.State(Files.createDirectories(dir.resolve("state"))),
                new AgentConfig.KernelLog(false, null), null, new AgentConfig.Debugfs(sys.resolve("kvm")),
                new AgentConfig.Tracing(sys.resolve("tracing"), sys.resolve("module")),
                new AgentConfig.Posture(false, null, sys, sys.resolve("cgroup"), sys.resolve("libvirt"), null, null,
                        null, null, null),
                null, new AgentConfig.Libvirt("false", null));
        try (Agent agent = Agent.start(config)) {
            AtomicReference<String> text = new AtomicReference<>();
            Awaitility.await("the health source's series").atMost(30, TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        text.set(MetricsPage.scrape(agent.metricsAddress()).text());
                        return text.get().contains("hvwatch_agent_sources_down ");
                    });
            return text.get();
        }
    }

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cmd = AgentMain.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        assertThat(cmd.execute(args)).isZero();
        return out.toString().replace(System.lineSeparator(), "\n");
    }
}
