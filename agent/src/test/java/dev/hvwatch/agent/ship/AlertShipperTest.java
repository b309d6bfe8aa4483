package dev.hvwatch.agent.ship;

import static dev.hvwatch.agent.ship.ShipTestSupport.alert;
import static dev.hvwatch.agent.ship.ShipTestSupport.collectorConfig;
import static dev.hvwatch.agent.ship.ShipTestSupport.journaled;
import static dev.hvwatch.agent.ship.ShipTestSupport.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.hvwatch.collector.Collector;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.Frame;
import io.netty.channel.Channel;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipper against a real collector, or a scripted one, over loopback with mutual TLS. */
class AlertShipperTest {
    private static final String AGENT = "kvm-01";
    private static final Duration PATIENCE = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private TlsFiles collectorTls;
    private TlsFiles agentTls;
    private Path journal;

    @BeforeEach
    void certificates() throws Exception {
        Pki pki = Pki.createCa(dir.resolve("pki"), "hvwatch test CA");
        collectorTls = pki.issueServer("collector");
        agentTls = pki.issueAgent(AGENT);
        journal = dir.resolve("journal");
    }

    @Test
    void alertsReachTheJournalExactlyOnceInBatchesAndAreAcknowledged() throws Exception {
        try (Collector collector = new Collector(collectorConfig(0, collectorTls, journal, null));
             AlertShipper shipper = AlertShipper.start(settings(collector.start(), AGENT, agentTls, 1000, 100))) {

            IntStream.rangeClosed(1, 250).forEach(i -> shipper.offer(alert(AGENT, "a" + i)));

            await().atMost(PATIENCE).until(() -> shipper.acknowledgedSeq() == 250);
            List<Alert> alerts = journaled(journal);
            assertThat(alerts).extracting(Alert::seq)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, 250).mapToObj(i -> (long) i).toList());
            assertThat(alerts).extracting(Alert::id).doesNotHaveDuplicates();
            assertThat(shipper.connected()).isTrue();
            assertThat(shipper.pending()).isZero();
            assertThat(shipper.dropped()).isZero();
        }
    }

    @Test
    void alertsOfferedWhileTheCollectorIsDownArriveOnceItIsBack() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        try (AlertShipper shipper = AlertShipper.start(settings(port, AGENT, agentTls, 1000, 10))) {
            try (Collector first = new Collector(collectorConfig(port, collectorTls, journal, null))) {
                first.start();
                offer(shipper, 1, 3);
                await().atMost(PATIENCE).until(() -> shipper.acknowledgedSeq() == 3);
            }
            await().atMost(PATIENCE).until(() -> !shipper.connected());
            offer(shipper, 4, 6);
            assertThat(shipper.pending()).isEqualTo(3);

            try (Collector second = new Collector(collectorConfig(port, collectorTls, journal, null))) {
                second.start();
                await().atMost(PATIENCE).until(() -> shipper.acknowledgedSeq() == 6);
            }
        }
        assertThat(journaled(journal)).extracting(Alert::id).containsExactly("a1", "a2", "a3", "a4", "a5", "a6");
    }

    @Test
    void afterReconnectOnlyWhatTheCollectorLacksIsResent() throws Exception {
        try (FakeCollector collector = new FakeCollector(collectorTls);
             AlertShipper shipper = AlertShipper.start(settings(collector.port(), AGENT, agentTls, 1000, 10))) {
            Channel first = collector.nextConnection();
            assertThat(collector.nextFrame()).isEqualTo(new Frame.Hello(AGENT, 0));
            offer(shipper, 1, 3);
            first.writeAndFlush(new Frame.Welcome(0));
            assertThat(((Frame.Alerts) collector.nextFrame()).alerts()).extracting(Alert::seq)
                    .containsExactly(1L, 2L, 3L);

            // The collector journaled 1 and 2, then the connection broke before the ACK.
            first.close();
            Channel second = collector.nextConnection();
            assertThat(collector.nextFrame()).isEqualTo(new Frame.Hello(AGENT, 0));
            second.writeAndFlush(new Frame.Welcome(2));

            assertThat(((Frame.Alerts) collector.nextFrame()).alerts()).extracting(Alert::seq).containsExactly(3L);
            await().atMost(PATIENCE).until(() -> shipper.pending() == 1 && shipper.acknowledgedSeq() == 2);
            second.writeAndFlush(new Frame.Ack(3));
            await().atMost(PATIENCE).until(() -> shipper.pending() == 0 && shipper.acknowledgedSeq() == 3);
        }
    }

    @Test
    void aRestartedAgentContinuesTheCollectorsNumbering() throws Exception {
        try (Collector collector = new Collector(collectorConfig(0, collectorTls, journal, null))) {
            int port = collector.start();
            try (AlertShipper before = AlertShipper.start(settings(port, AGENT, agentTls, 1000, 10))) {
                offer(before, 1, 3);
                await().atMost(PATIENCE).until(() -> before.acknowledgedSeq() == 3);
            }

            try (AlertShipper after = AlertShipper.start(settings(port, AGENT, agentTls, 1000, 10))) {
                offer(after, 4, 5);
                await().atMost(PATIENCE).until(() -> after.acknowledgedSeq() == 5);
            }
        }
        assertThat(journaled(journal)).extracting(Alert::id, Alert::seq).containsExactly(
                tuple("a1", 1L), tuple("a2", 2L),
                tuple("a3", 3L), tuple("a4", 4L),
                tuple("a5", 5L));
    }

    @Test
    void aFullOutboxDropsAndCountsWithoutBlocking() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            closedPort = probe.getLocalPort();
        }
        try (AlertShipper shipper = AlertShipper.start(settings(closedPort, AGENT, agentTls, 5, 10))) {
            long started = System.nanoTime();
            List<Boolean> accepted = IntStream.rangeClosed(1, 8).mapToObj(i -> shipper.offer(alert(AGENT, "a" + i)))
                    .toList();

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));
            assertThat(accepted).containsExactly(true, true, true, true, true, false, false, false);
            assertThat(shipper.dropped()).isEqualTo(3);
            assertThat(shipper.pending()).isEqualTo(5);
            assertThat(shipper.connected()).isFalse();
        }
    }

    @Test
    void heartbeatsKeepAQuietConnectionOpen() throws Exception {
        try (Collector collector = new Collector(collectorConfig(0, collectorTls, journal, Duration.ofMillis(700)));
             AlertShipper shipper = AlertShipper.start(settings(collector.start(), AGENT, agentTls, 10, 10))) {
            await().atMost(PATIENCE).until(shipper::connected);

            Thread.sleep(2000);

            assertThat(shipper.connected()).isTrue();
            assertThat(collector.stats().idleTimeouts()).isZero();
            assertThat(collector.stats().connectionsAccepted()).isEqualTo(1);
        }
    }

    @Test
    void aSilentCollectorIsLeftAndDialledAgain() throws Exception {
        try (FakeCollector collector = new FakeCollector(collectorTls);
             AlertShipper shipper = AlertShipper.start(settings(collector.port(), AGENT, agentTls, 10, 10))) {
            Channel first = collector.nextConnection();
            collector.nextFrame();
            first.writeAndFlush(new Frame.Welcome(0));
            await().atMost(PATIENCE).until(shipper::connected);

            // The fake never echoes heartbeats: after three missed ones the shipper hangs up and dials again.
            Channel second = collector.nextConnection();

            assertThat(first.closeFuture().await(PATIENCE.toMillis())).isTrue();
            assertThat(second).isNotSameAs(first);
        }
    }

    private static void offer(AlertShipper shipper, int from, int to) {
        IntStream.rangeClosed(from, to).forEach(i -> assertThat(shipper.offer(alert(AGENT, "a" + i))).isTrue());
    }
}
