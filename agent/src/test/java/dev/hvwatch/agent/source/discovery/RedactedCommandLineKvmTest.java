package dev.hvwatch.agent.source.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.hvwatch.agent.Agent;
import dev.hvwatch.agent.MetricsPage;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A real QEMU/KVM guest started with secrets on its command line, watched by a real agent that ships to a real
 * collector: the vm-started alert the collector journals, the agent's /metrics and every line the agent logged
 * carry none of them, while the alert still shows the rest of the command line.
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
class RedactedCommandLineKvmTest {
    private static final String HOST = "redaction-host";
    private static final List<String> SECRETS = List.of("S3cretData0", "S3cretJson1", "S3cretIscsi2", "S3cretKeyFile3");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void theVmStartedAlertCarriesNoSecretOfTheCommandLine() throws Exception {
        RealKvm.require();
        Path keyFile = Files.writeString(dir.resolve("key.txt"), SECRETS.get(3));
        Pki pki = Pki.createCa(dir.resolve("pki"), "redaction CA");
        TlsFiles collectorTls = pki.issueServer("collector");
        TlsFiles agentTls = pki.issueAgent(HOST);
        Path journal = dir.resolve("alerts.jsonl");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logged);

        QemuGuest guest = QemuGuest.builder().name("with-secrets").program(GuestProgram.IDLE).extraArgs(List.of(
                "-object", "secret,id=sec0,data=" + SECRETS.get(0),
                "-object", "{\"qom-type\":\"secret\",\"id\":\"sec1\",\"data\":\"" + SECRETS.get(1) + "\"}",
                "-iscsi", "user=alice,password=" + SECRETS.get(2),
                "-object", "secret,id=sec2,file=" + keyFile)).start();
        assertThat(String.join(" ", guest.commandLine())).as("the guest really got them")
                .contains(SECRETS.get(0), SECRETS.get(1), SECRETS.get(2));
        try (Collector collector = new Collector(CollectorConfig.of(new InetSocketAddress("127.0.0.1", 0),
                collectorTls, dir.resolve("journal"), journal))) {
            int port = collector.start();
            AgentConfig config = new AgentConfig(new AgentConfig.Identity(HOST),
                    new AgentConfig.Sampling(Duration.ofMillis(500), null), null, null,
                    new AgentConfig.Metrics("127.0.0.1:0"),
                    new AgentConfig.Collector("127.0.0.1:" + port, null, agentTls.cert(), agentTls.key(),
                            agentTls.ca(), null),
                    new AgentConfig.State(dir.resolve("state")), null, null, null, null, null, null, null, null);
            try (Agent agent = Agent.start(config)) {
                Alert started = Awaitility.await("vm-started at the collector").atMost(30, TimeUnit.SECONDS)
                        .pollInterval(Duration.ofMillis(200)).until(() -> alerts(journal).stream()
                                .filter(a -> a.rule().equals("vm-started") && a.vm() != null
                                        && a.vm().name().equals("with-secrets")).findFirst().orElse(null),
                                a -> a != null);
                String commandLine = (String) started.evidence().get("command_line");
                assertThat(commandLine).contains("-object secret,id=sec0,data=<redacted>",
                        "\"qom-type\":\"secret\",\"id\":\"sec1\",\"data\":\"<redacted>\"", "-iscsi <redacted>",
                        "secret,id=sec2,file=" + keyFile, "-name guest=with-secrets");
                assertThat(started.message()).contains("data=<redacted>");
                String everything = Files.readString(journal) + MetricsPage.scrape(agent.metricsAddress()).text()
                        + String.join("\n", logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
                for (String secret : SECRETS) {
                    assertThat(everything).doesNotContain(secret);
                }
            }
        } finally {
            root.detachAppender(logged);
        }
    }

    private static List<Alert> alerts(Path journal) throws IOException {
        if (!Files.exists(journal)) {
            return List.of();
        }
        return Files.readAllLines(journal).stream().filter(l -> !l.isBlank()).map(AlertJson::parse).toList();
    }
}
