package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.spool.SpoolOverflowAlarm;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.FreePort;
import dev.hvwatch.testkit.Tmpfs;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's state directory on a real tmpfs of a few MiB, the collector down while alerts keep coming, then room
 * made and the collector started: every alert is either journaled by the collector or counted as lost, and the
 * losses reach the collector in agent-spool-overflow alerts. Also: an agent started on a full disk starts degraded
 * and recovers once there is room.
 */
class AlertDeliveryDiskFullTest {
    private static final String HOST = "diskfull-host";
    private static final long MIB = 1024 * 1024;
    private static final AlertFactory ALERTS = new AlertFactory(HOST);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aFullSpoolCountsEveryAlertItLosesAndReportsThemOnceThereIsRoom() throws Exception {
        Pki pki = Pki.createCa(dir.resolve("pki"), "disk-full CA");
        int port = FreePort.find();
        try (Tmpfs state = Tmpfs.mount(dir.resolve("state"), 2 * MIB)) {
            AgentConfig config = config(pki, port, state.path());
            int offered = 6000; // about 1800 fit in 2 MiB less the spool's 1 MiB headroom
            long lost;
            AtomicReference<AlertDelivery> self = new AtomicReference<>();
            try (AlertDelivery delivery = AlertDelivery.start(config, ALERTS, a -> self.get().offer(a))) {
                self.set(delivery);
                for (int i = 0; i < offered; i++) {
                    delivery.offer(alert(i));
                }
                lost = delivery.dropped();
                assertThat(lost).as("the disk filled up: alerts were lost, and counted").isBetween(1000L, 5500L);
                assertThat(delivery.writable()).isFalse();

                state.resize(64 * MIB);
                assertThat(delivery.writable()).isTrue();
                try (Collector collector = new Collector(CollectorConfig.of(new InetSocketAddress("127.0.0.1", port),
                        pki.issueServer("collector"), dir.resolve("journal"), dir.resolve("alerts.jsonl")))) {
                    collector.start();
                    Awaitility.await("every spooled alert and the overflow alarm at the collector")
                            .atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500))
                            .until(() -> count(journaled(), "test") == offered - lost
                                    && reportedLosses(journaled()) == lost);
                    assertThat(delivery.dropped()).as("the alarm itself was not lost").isEqualTo(lost);
                }
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anAgentStartedOnAFullDiskStartsDegradedAndSpoolsOnceThereIsRoom() throws Exception {
        Pki pki = Pki.createCa(dir.resolve("pki"), "disk-full CA");
        int port = FreePort.find();
        try (Tmpfs state = Tmpfs.mount(dir.resolve("state"), MIB)) {
            Files.write(state.path().resolve("filler"), new byte[512 * 1024]);
            AgentConfig config = config(pki, port, state.path());
            AtomicReference<AlertDelivery> self = new AtomicReference<>();
            try (AlertDelivery delivery = AlertDelivery.start(config, ALERTS, a -> self.get().offer(a));
                 Collector collector = new Collector(CollectorConfig.of(new InetSocketAddress("127.0.0.1", port),
                         pki.issueServer("collector"), dir.resolve("journal"), dir.resolve("alerts.jsonl")))) {
                self.set(delivery);
                collector.start();
                for (int i = 0; i < 5; i++) {
                    assertThat(delivery.offer(alert(i))).isZero();
                }
                assertThat(delivery.dropped()).isEqualTo(5);
                assertThat(delivery.writable()).isFalse();

                state.resize(64 * MIB);
                Awaitility.await("the spool opened by the retry").atMost(30, TimeUnit.SECONDS)
                        .until(delivery::writable);
                assertThat(delivery.offer(alert(5))).isPositive();
                Awaitility.await("the later alert and the report of the 5 lost at the collector")
                        .atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500))
                        .until(() -> count(journaled(), "test") == 1 && reportedLosses(journaled()) == 5);
            }
        }
    }

    /** The finding: restarting the agent on the full disk crashed in main. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theWholeAgentStartsOnAFullStateDiskServesMetricsAndTakesAlertsOnceThereIsRoom() throws Exception {
        Pki pki = Pki.createCa(dir.resolve("pki"), "disk-full CA");
        try (Tmpfs state = Tmpfs.mount(dir.resolve("state"), MIB)) {
            Files.write(state.path().resolve("filler"), new byte[1024 * 1024 - 4096]);
            AgentConfig full = config(pki, FreePort.find(), state.path());
            AgentConfig config = new AgentConfig(full.identity(),
                    new AgentConfig.Sampling(Duration.ofMillis(500), null), null, null,
                    new AgentConfig.Metrics("127.0.0.1:0"), full.collector(), full.state(), null, null, null, null,
                    new AgentConfig.Posture(false, null, null, null, null, null, null, null, null, null), null, null, null);
            try (Agent agent = Agent.start(config)) {
                MetricsPage degraded = MetricsPage.scrape(agent.metricsAddress());
                assertThat(degraded.value("hvwatch_spool_writable")).isZero();
                state.resize(64 * MIB);
                Awaitility.await("the spool opened once there is room").atMost(30, TimeUnit.SECONDS)
                        .pollInterval(Duration.ofMillis(500)).until(() -> MetricsPage.scrape(agent.metricsAddress()).value("hvwatch_spool_writable") == 1);
            }
        }
    }

    private AgentConfig config(Pki pki, int port, Path stateDir) throws Exception {
        TlsFiles agentTls = pki.issueAgent(HOST);
        return new AgentConfig(new AgentConfig.Identity(HOST), null, null, null, null,
                new AgentConfig.Collector("127.0.0.1:" + port, null, agentTls.cert(), agentTls.key(), agentTls.ca(),
                        null),
                new AgentConfig.State(stateDir), null, null, null, null, null, null, null, null);
    }

    private List<Alert> journaled() throws IOException {
        Path jsonl = dir.resolve("alerts.jsonl");
        if (!Files.exists(jsonl)) {
            return List.of();
        }
        return Files.readAllLines(jsonl).stream().filter(l -> !l.isBlank()).map(AlertJson::parse).toList();
    }

    private static long count(List<Alert> alerts, String rule) {
        return alerts.stream().filter(a -> a.rule().equals(rule)).count();
    }

    private static long reportedLosses(List<Alert> alerts) {
        return alerts.stream().filter(a -> a.rule().equals(SpoolOverflowAlarm.RULE))
                .mapToLong(a -> ((Number) a.evidence().get("dropped")).longValue()).sum();
    }

    private static Alert alert(int i) {
        return ALERTS.create(new AlertFactory.Draft("test", "Test alert", Severity.LOW, Category.AGENT,
                AlertState.FIRING, null, null, null, List.of(), Map.of("i", i), "alert " + i + " " + "x".repeat(200)),
                System.currentTimeMillis() * 1_000_000L);
    }

}
