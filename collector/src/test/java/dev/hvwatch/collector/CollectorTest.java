package dev.hvwatch.collector;

import static dev.hvwatch.collector.testing.TestAlerts.alert;
import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.awaitility.Durations.TEN_SECONDS;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.ingest.IngestStats.HandshakeFailure;
import dev.hvwatch.collector.testing.TestAgent;
import dev.hvwatch.collector.testing.TestPki;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsContexts;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.Frame;
import dev.hvwatch.protocol.wire.RefusalReason;
import dev.hvwatch.protocol.wire.ProtocolException.Reason;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import dev.hvwatch.collector.journal.JournalReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The collector end to end over real loopback sockets with mutual TLS. */
class CollectorTest {
    private static final String AGENT = "kvm-01";

    @TempDir
    Path dir;

    private TestPki pki;
    private Path journal;
    private Collector collector;
    private int port;
    private final List<Alert> seen = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> agents = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(dir.resolve("pki"));
        journal = dir.resolve("journal");
        startCollector(pki.collectorConfig(journal));
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable agent : agents) {
            agent.close();
        }
        collector.close();
    }

    @Test
    void alertsAreJournaledExactlyOnceAndAcknowledged() throws Exception {
        TestAgent agent = connect(AGENT);

        assertThat(agent.hello(AGENT)).isEqualTo(new Frame.Welcome(0));
        agent.send(Frame.Alerts.of(alerts(AGENT, 1, 3)));

        assertThat(agent.next()).isEqualTo(new Frame.Ack(3));
        assertThat(journaledLines())
                .containsExactlyElementsOf(alerts(AGENT, 1, 3).stream().map(AlertJson::toLine).toList());
        assertThat(seen).extracting(Alert::seq).containsExactly(1L, 2L, 3L);
        assertThat(collector.stats().alertsJournaled()).isEqualTo(3);
        assertThat(collector.stats().connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void duplicateSeqsAreSkippedButStillAcknowledged() throws Exception {
        TestAgent agent = connect(AGENT);
        agent.hello(AGENT);
        agent.send(Frame.Alerts.of(alerts(AGENT, 1, 2)));
        assertThat(agent.next()).isEqualTo(new Frame.Ack(2));

        agent.send(Frame.Alerts.of(alerts(AGENT, 2, 3)));

        assertThat(agent.next()).isEqualTo(new Frame.Ack(3));
        assertThat(journaledLines()).hasSize(3);
        assertThat(collector.stats().duplicatesSkipped()).isEqualTo(1);
        assertThat(collector.stats().alertsJournaled()).isEqualTo(3);
    }

    @Test
    void agentResendingAfterReconnectIsDeduplicated() throws Exception {
        TestAgent first = connect(AGENT);
        first.hello(AGENT);
        first.send(Frame.Alerts.of(alerts(AGENT, 1, 3)));
        first.next();
        first.close();

        TestAgent second = connect(AGENT);
        assertThat(second.hello(AGENT)).isEqualTo(new Frame.Welcome(3));
        second.send(Frame.Alerts.of(alerts(AGENT, 1, 4)));

        assertThat(second.next()).isEqualTo(new Frame.Ack(4));
        assertThat(journaledLines()).hasSize(4);
        assertThat(collector.stats().duplicatesSkipped()).isEqualTo(3);
    }

    @Test
    void clientsWithoutAGoodCertificateAreRejectedWhileAGoodOneKeepsWorking() throws Exception {
        TestAgent good = connect(AGENT);
        good.hello(AGENT);
        // Named like the real CA, so that the client does present its certificate and the signature check must fail.
        TlsFiles foreign = Pki.createCa(dir.resolve("foreign"), TestPki.CA_NAME).issueAgent(AGENT);
        SslContext foreignCert = TlsContexts.client(new TlsFiles(foreign.cert(), foreign.key(), pki.pki().caCert()));
        SslContext noCert = SslContextBuilder.forClient().trustManager(pki.pki().caCert().toFile())
                .protocols("TLSv1.3").sslProvider(TlsContexts.provider()).build();

        for (SslContext bad : List.of(noCert, foreignCert)) {
            TestAgent rejected = track(new TestAgent(bad, port));
            rejected.send(new Frame.Hello(AGENT, 0));
            assertThat(rejected.awaitClosed()).isTrue();
            assertThat(rejected.received()).isEmpty();
        }
        await("both handshakes are counted").atMost(TEN_SECONDS).until(() -> collector.stats().handshakesFailed() == 2);
        assertThat(collector.stats().handshakesFailed(HandshakeFailure.NO_CERTIFICATE)).isEqualTo(1);
        assertThat(collector.stats().handshakesFailed(HandshakeFailure.UNTRUSTED)).isEqualTo(1);

        good.send(Frame.Alerts.of(alerts(AGENT, 1, 1)));
        assertThat(good.next()).isEqualTo(new Frame.Ack(1));
        assertThat(collector.stats().connectionsAccepted()).isEqualTo(3);
    }

    @Test
    void alertsClaimingAnotherHostOrAgentAreRejected() throws Exception {
        Alert otherHost = new Alert("x", AGENT, 1, alert(AGENT, 1).time(), "kvm-02", "r", null,
                alert(AGENT, 1).severity(), alert(AGENT, 1).category(), alert(AGENT, 1).state(),
                null, null, null, null, null, null, null);
        for (Alert forged : List.of(alert("kvm-02", 1), otherHost)) {
            TestAgent agent = connect(AGENT);
            agent.hello(AGENT);

            agent.send(Frame.Alerts.of(List.of(alert(AGENT, 1), forged)));

            assertThat(agent.awaitClosed()).isTrue();
            assertThat(agent.received()).singleElement().isInstanceOfSatisfying(Frame.Refuse.class,
                    refusal -> assertThat(refusal.reason()).isEqualTo(RefusalReason.IDENTITY_MISMATCH));
        }
        await("rejections are counted").atMost(TEN_SECONDS).until(
                () -> collector.stats().framesRejected(Reason.IDENTITY_MISMATCH) == 2);
        assertThat(journaledLines()).isEmpty();
    }

    @Test
    void helloPayloadDoesNotChangeWhoTheAgentIs() throws Exception {
        TestAgent agent = connect(AGENT);
        agent.hello("kvm-02");

        agent.send(Frame.Alerts.of(alerts("kvm-02", 1, 1)));

        assertThat(agent.awaitClosed()).isTrue();
        await("the rejection is counted").atMost(TEN_SECONDS).until(
                () -> collector.stats().framesRejected(Reason.IDENTITY_MISMATCH) == 1);
    }

    @Test
    void alertsBeforeHelloAreRejected() throws Exception {
        TestAgent agent = connect(AGENT);

        agent.send(Frame.Alerts.of(alerts(AGENT, 1, 1)));

        assertThat(agent.awaitClosed()).isTrue();
        await("the rejection is counted").atMost(TEN_SECONDS).until(
                () -> collector.stats().framesRejected(Reason.UNEXPECTED_FRAME) == 1);
    }

    @Test
    void restartedCollectorRecoversEachAgentsLastSeqFromItsJournal() throws Exception {
        TestAgent agent = connect(AGENT);
        agent.hello(AGENT);
        agent.send(Frame.Alerts.of(alerts(AGENT, 1, 5)));
        agent.next();
        TestAgent other = connect("kvm-02");
        other.hello("kvm-02");
        other.send(Frame.Alerts.of(alerts("kvm-02", 1, 2)));
        other.next();
        collector.close();

        startCollector(pki.collectorConfig(journal));

        assertThat(collector.lastJournaledSeq(AGENT)).isEqualTo(5);
        TestAgent again = connect(AGENT);
        assertThat(again.hello(AGENT)).isEqualTo(new Frame.Welcome(5));
        again.send(Frame.Alerts.of(alerts(AGENT, 5, 6)));
        assertThat(again.next()).isEqualTo(new Frame.Ack(6));
        assertThat(connect("kvm-02").hello("kvm-02")).isEqualTo(new Frame.Welcome(2));
        assertThat(journaledLines()).hasSize(8);
    }

    @Test
    void oversizedFramesAreRejected() throws Exception {
        collector.close();
        startCollector(pki.collectorConfig(journal, 1024, null));
        TestAgent agent = connect(AGENT);
        agent.hello(AGENT);

        agent.send(Frame.Alerts.of(alerts(AGENT, 1, 10)));

        assertThat(agent.awaitClosed()).isTrue();
        await("the rejection is counted").atMost(TEN_SECONDS)
                .until(() -> collector.stats().framesRejected(Reason.OVERSIZED) == 1);
        assertThat(collector.stats().framesRejected()).isEqualTo(1);
    }

    @Test
    void silentConnectionsAreClosedButHeartbeatsKeepThemOpen() throws Exception {
        collector.close();
        startCollector(pki.collectorConfig(journal, null, Duration.ofMillis(500)));
        TestAgent silent = connect(AGENT);
        TestAgent beating = connect(AGENT);

        for (int i = 0; i < 8; i++) {
            beating.send(new Frame.Heartbeat());
            assertThat(beating.next()).isEqualTo(new Frame.Heartbeat());
            Thread.sleep(150);
        }

        assertThat(silent.awaitClosed()).isTrue();
        assertThat(beating.isOpen()).isTrue();
        assertThat(collector.stats().idleTimeouts()).isEqualTo(1);
    }

    private List<String> journaledLines() throws Exception {
        List<String> lines = new ArrayList<>();
        JournalReader.forEach(journal, entry -> lines.add(new String(entry.json(), StandardCharsets.UTF_8)));
        return lines;
    }

    private void startCollector(CollectorConfig config) throws Exception {
        collector = new Collector(config, seen::add);
        port = collector.start();
    }

    private TestAgent connect(String identity) throws Exception {
        return track(new TestAgent(TlsContexts.client(pki.agent(identity)), port));
    }

    private TestAgent track(TestAgent agent) {
        agents.add(agent);
        return agent;
    }
}
