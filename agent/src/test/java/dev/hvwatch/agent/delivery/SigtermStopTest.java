package dev.hvwatch.agent.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.AgentMain;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.FreePort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM, as systemd stops, restarts or upgrades the service: the agent process closes the agent (the ring drained
 * into the spool, the spool closed) before the JVM halts. The JVM halts once its shutdown hooks have run, so a hook
 * that only woke the main thread to close the agent raced the halt, and an alert logged as the service stopped could
 * miss the spool (the system test's upgrade once found one alert more in the agent's log than the collector had).
 */
class SigtermStopTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void sigtermClosesTheAgentBeforeTheProcessEnds() throws Exception {
        Pki pki = Pki.createCa(dir.resolve("pki"), "sigterm test CA");
        TlsFiles tls = pki.issueAgent("sigterm-host");
        Path config = Files.writeString(dir.resolve("agent.yaml"), "identity: {host: sigterm-host}\n"
                + "sampling: {interval: 1s}\n"
                + "metrics: {listen: 127.0.0.1:0}\n"
                + "collector: {address: 127.0.0.1:" + FreePort.find() + ", cert: " + tls.cert() + ", key: "
                + tls.key() + ", ca: " + tls.ca() + "}\n"
                + "state: {dir: " + dir.resolve("state") + "}\n"
                + "libvirt: {enabled: false}\n");
        Path log = dir.resolve("agent.log");
        JavaProcess agent = new JavaProcess(log, AgentMain.class, "run", "-c", config.toString()).start();
        Awaitility.await("the agent sampling").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.readString(log).contains("sampling every"));

        int exit = agent.terminate(Duration.ofSeconds(30));

        assertThat(Files.readString(log)).as("the agent's output").contains("hvwatch agent stopped");
        assertThat(exit).as("Java's exit on SIGTERM, which the unit counts as success").isEqualTo(143);
    }
}
