package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.rules.RulePack;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentMainTest {
    private static final String LOCAL_RULE = """
            rules:
              - id: local-port-io
                title: Port I/O above this site's limit
                description: A lower limit than the default pack's.
                category: starvation
                severity: medium
                nist: [HY-SR-8]
                scope: vm
                condition: rate(hvwatch_kvm_tracepoint_events_total{tracepoint="kvm_pio"}, 10s) > 1000
                for: 5s
                message: VM {{vm}} performs more port I/O than this site allows
            """;

    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();
    private final StringWriter out = new StringWriter();

    private int execute(String... args) {
        CommandLine cmd = AgentMain.commandLine();
        cmd.setErr(new PrintWriter(err, true));
        cmd.setOut(new PrintWriter(out, true));
        return cmd.execute(args);
    }

    @Test
    void checkConfigAcceptsTheEmbeddedDefault() {
        assertThat(execute("check-config")).isZero();
    }

    @Test
    void checkConfigSaysOkInOneLineWithTheMainSettingsAndTheRulesInForce() throws Exception {
        int defaults = RulePack.load(List.of()).specs().size();
        Files.createDirectories(dir.resolve("rules.d"));
        Files.writeString(dir.resolve("rules.d/local.yaml"), LOCAL_RULE);
        Path file = Files.writeString(dir.resolve("agent.yaml"), "identity:\n  host: hv-01\nstate:\n  dir: /var/lib/x\n"
                + "rules:\n  files: [" + dir.resolve("rules.d") + "]\n");

        assertThat(execute("check-config", "-c", file.toString())).isZero();

        assertThat(out.toString()).isEqualTo(file + ": OK (host hv-01, collector 127.0.0.1:7847, metrics "
                + "127.0.0.1:9847, state /var/lib/x, " + (defaults + 1) + " rules)" + System.lineSeparator());
    }

    @Test
    void checkConfigNamesARuleFileWithAMistake() throws Exception {
        Path rules = Files.writeString(dir.resolve("local.yaml"), LOCAL_RULE.replace("scope: vm", "scope: planet"));
        Path file = Files.writeString(dir.resolve("agent.yaml"), "rules:\n  files: [" + rules + "]\n");

        assertThat(execute("check-config", "-c", file.toString())).isEqualTo(2);
        assertThat(err.toString()).contains(rules.toString());
    }

    @Test
    void aBadConfigExitsWithTwoAndNamesTheLineAndKey() throws Exception {
        Path file = Files.writeString(dir.resolve("agent.yaml"), "sampling:\n  interval: 1s\nmetric:\n  listen: x\n");
        assertThat(execute("check-config", "-c", file.toString())).isEqualTo(2);
        assertThat(err.toString()).contains(file + " line 3: unknown key 'metric'");
    }

    @Test
    void runningWithoutCertificatesIsAConfigurationError() {
        assertThat(execute("run")).isEqualTo(2);
        assertThat(err.toString()).contains("collector.cert, collector.key and collector.ca must be set");
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        assertThat(execute("run", "--no-such-option")).isEqualTo(2);
    }
}
