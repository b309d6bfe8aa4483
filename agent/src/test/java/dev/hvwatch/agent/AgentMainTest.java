package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentMainTest {
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
    void checkConfigSaysOkInOneLineWithTheMainSettings() throws Exception {
        Path file = Files.writeString(dir.resolve("agent.yaml"),
                "identity:\n  host: hv-01\nstate:\n  dir: /var/lib/x\nrules:\n  files: [a.yaml, b.yaml]\n");
        assertThat(execute("check-config", "-c", file.toString())).isZero();
        assertThat(out.toString()).isEqualTo(file + ": OK (host hv-01, collector 127.0.0.1:7847, metrics "
                + "127.0.0.1:9847, state /var/lib/x, rule files 2)" + System.lineSeparator());
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
