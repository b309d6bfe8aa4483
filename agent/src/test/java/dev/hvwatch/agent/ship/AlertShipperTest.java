package dev.hvwatch.agent.ship;

import static dev.hvwatch.agent.ship.ShipTestSupport.alert;
import static dev.hvwatch.agent.ship.ShipTestSupport.closedPort;
import static dev.hvwatch.agent.ship.ShipTestSupport.collectorConfig;
import static dev.hvwatch.agent.ship.ShipTestSupport.journaled;
import static dev.hvwatch.agent.ship.ShipTestSupport.settings;
import static dev.hvwatch.agent.ship.ShipTestSupport.spool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.hvwatch.agent.spool.Spool;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.Frame;
import io.netty.channel.Channel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipper and its spool against a real collector, or a scripted one, over loopback with mutual TLS. */
class AlertShipperTest {
    private static final String AGENT = "kvm-01";
    private static final Duration PATIENCE = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private TlsFiles collectorTls;
    private TlsFiles agentTls;
    private Path journal;
    private Path spoolDir;

    @BeforeEach
    void certificates() throws Exception {
        Pki pki = Pki.createCa(dir.resolve("pki"), "hvwatch test CA");
        collectorTls = pki.issueServer("collector");
        agentTls = pki.issueAgent(AGENT);
        journal = dir.resolve("journal");
        spoolDir = dir.resolve("spool");
    }

    @Test
    void alertsReachTheJournalExactlyOnceInBatchesAndAreSettled() throws Exception {
        try (Collector collector = new Collector(collectorConfig(0, collectorTls, journal, null));
             Spool spool = spool(spoolDir);
             AlertShipper shipper = AlertShipper.start(settings(AGENT, agentTls, 100, collector.start()), spool)) {

            offer(shipper, 1, 2500);

            await().atMost(PATIENCE).until(() -> shipper.acknowledgedSeq() == 2500);
            List<Alert> alerts = journaled(journal);
            assertThat(alerts).extracting(Alert::seq).containsExactlyElementsOf(seqs(1, 2500));
            assertThat(alerts).extracting(Alert::id).doesNotHaveDuplicates();
            assertThat(shipper.connected()).isTrue();
            assertThat(spool.pending()).isZero();
            assertThat(spool.settledSeq()).isEqualTo(2500);
            assertThat(collector.stats().duplicatesSkipped()).isZero();
        }
    }

    @Test
    void alertsSpooledWhileTheCollectorIsDownArriveOnceItIsBack() throws Exception {
        int port = closedPort();
        try (Spool spool = spool(spoolDir);
             AlertShipper shipper = AlertShipper.start(settings(AGENT, agentTls, 10, port), spool)) {
            try (Collector first = new Collector(collectorConfig(port, collectorTls, journal, null))) {
                first.start();
                offer(shipper, 1, 3);
                await().atMost(PATIENCE).until(() -> shipper.acknowledgedSeq() == 3);
            }
            await().atMost(PATIENCE).until(() -> !shipper.connected());
            offer(shipper, 4, 6);
            assertThat(spool.pending()).isEqualTo(3);

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
             Spool spool = spool(spoolDir);
             AlertShipper shipper = AlertShipper.start(settings(AGENT, agentTls, 10, collector.port()), spool)) {
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
            await().atMost(PATIENCE).until(() -> spool.pending() == 1 && shipper.acknowledgedSeq() == 2);
            second.writeAndFlush(new Frame.Ack(3));
            await().atMost(PATIENCE).until(() -> spool.pending() == 0 && shipper.acknowledgedSeq() == 3);

            // The next connection's HELLO carries the acknowledged seq: where the agent resumes.
            second.close();
            collector.nextConnection();
            assertThat(collector.nextFrame()).isEqualTo(new Frame.Hello(AGENT, 3));
        }
    }

    @Test
    void aRestartedAgentSendsWhatItsSpoolStillHoldsAndContinuesItsNumbering() throws Exception {
        int port = closedPort();
        try (Spool spool = spool(spoolDir);
             AlertShipper before = AlertShipper.start(settings(AGENT, agentTls, 10, port), spool)) {
            offer(before, 1, 3);
        }
        try (Collector collector = new Collector(collectorConfig(port, collectorTls, journal, null));
             Spool spool = spool(spoolDir);
             AlertShipper after = AlertShipper.start(settings(AGENT, agentTls, 10, port), spool)) {
            collector.start();
            offer(after, 4, 5);
            await().atMost(PATIENCE).until(() -> after.acknowledgedSeq() == 5);
        }
        assertThat(journaled(journal)).extracting(Alert::id, Alert::seq).containsExactly(
                tuple("a1", 1L), tuple("a2", 2L), tuple("a3", 3L), tuple("a4", 4L), tuple("a5", 5L));
    }

    @Test
    void aSpoolNewerThanTheCollectorsJournalContinuesAfterItsSeqs() throws Exception {
        try (Collector collector = new Collector(collectorConfig(0, collectorTls, journal, null))) {
            int port = collector.start();
            try (Spool spool = spool(spoolDir);
                 AlertShipper shipper = AlertShipper.start(settings(AGENT, agentTls, 10, port), spool)) {
                offer(shipper, 1, 5);
                await().atMost(PATIENCE).until(() -> shipper.acknowledgedSeq() == 5);
            }
            // The agent's state was wiped: a new spool starts numbering at 1 while the collector holds up to 5.
            try (Spool spool = spool(dir.resolve("new-spool"));
                 AlertShipper shipper = AlertShipper.start(settings(AGENT, agentTls, 10, port), spool)) {
                offer(shipper, 6, 7);
                await().atMost(PATIENCE).until(() -> shipper.acknowledgedSeq() == 7);
            }
        }
        assertThat(journaled(journal)).extracting(Alert::id).containsExactly("a1", "a2", "a3", "a4", "a5", "a6", "a7");
    }

    @Test
    void whenTheFirstCollectorIsUnreachableTheNextOneGetsTheAlerts() throws Exception {
        try (Collector collector = new Collector(collectorConfig(0, collectorTls, journal, null));
             Spool spool = spool(spoolDir);
             AlertShipper shipper = AlertShipper.start(
                     settings(AGENT, agentTls, 10, closedPort(), collector.start()), spool)) {
            offer(shipper, 1, 3);

            await().atMost(PATIENCE).until(() -> shipper.acknowledgedSeq() == 3);
        }
        assertThat(journaled(journal)).extracting(Alert::seq).containsExactly(1L, 2L, 3L);
    }

    @Test
    void spoolingNeverWaitsForTheCollector() throws Exception {
        try (Spool spool = spool(spoolDir);
             AlertShipper shipper = AlertShipper.start(settings(AGENT, agentTls, 10, closedPort()), spool)) {
            long started = System.nanoTime();
            offer(shipper, 1, 1000);

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(spool.pending()).isEqualTo(1000);
            assertThat(spool.dropped()).isZero();
            assertThat(shipper.connected()).isFalse();
        }
    }

    @Test
    void heartbeatsKeepAQuietConnectionOpen() throws Exception {
        try (Collector collector = new Collector(collectorConfig(0, collectorTls, journal, Duration.ofMillis(700)));
             Spool spool = spool(spoolDir);
             AlertShipper shipper = AlertShipper.start(settings(AGENT, agentTls, 10, collector.start()), spool)) {
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
             Spool spool = spool(spoolDir);
             AlertShipper shipper = AlertShipper.start(settings(AGENT, agentTls, 10, collector.port()), spool)) {
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
        IntStream.rangeClosed(from, to).forEach(i -> assertThat(shipper.offer(alert(AGENT, "a" + i))).isPositive());
    }

    private static List<Long> seqs(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }
}
