package dev.hvwatch.collector;

import static dev.hvwatch.collector.testing.TestAlerts.alert;
import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.ingest.IngestStats;
import dev.hvwatch.collector.testing.TestAgent;
import dev.hvwatch.collector.testing.TestPki;
import dev.hvwatch.protocol.tls.TlsContexts;
import dev.hvwatch.protocol.wire.Frame;
import dev.hvwatch.protocol.wire.ProtocolException;
import dev.hvwatch.protocol.wire.RefusalReason;
import io.netty.handler.ssl.SslContext;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the collector will not take, it refuses with a reason the agent can read (REFUSE), counts, and closes: a
 * second live connection of one certificate, a seq far ahead, an alert naming another host; nothing of a refused
 * batch is journaled, and the agent served before keeps being served.
 */
class RefusalsTest {
    private static final String AGENT = "kvm-01";

    @TempDir
    Path dir;

    private Collector collector;
    private int port;
    private SslContext agentTls;

    @BeforeEach
    void start() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        CollectorConfig config = pki.collectorConfig(dir.resolve("journal"))
                .withIngestLimits(64 * 1024, Duration.ofSeconds(30), Duration.ofSeconds(30), 1 << 20, 1000);
        collector = new Collector(config);
        port = collector.start();
        agentTls = TlsContexts.client(pki.agent(AGENT));
    }

    @AfterEach
    void stop() throws Exception {
        collector.close();
    }

    @Test
    void aSecondLiveConnectionOfOneCertificateIsRefusedAndTheFirstKeepsWorking() throws Exception {
        try (TestAgent first = new TestAgent(agentTls, port); TestAgent second = new TestAgent(agentTls, port)) {
            first.hello(AGENT);
            second.send(new Frame.Hello(AGENT, 0));

            Frame.Refuse refusal = (Frame.Refuse) second.next();
            assertThat(refusal.reason()).isEqualTo(RefusalReason.DUPLICATE_CONNECTION);
            assertThat(refusal.message()).contains("certificate '" + AGENT + "' is in use");
            assertThat(second.awaitClosed()).isTrue();

            first.send(Frame.Alerts.of(alerts(AGENT, 1, 3)));
            assertThat(first.next()).isEqualTo(new Frame.Ack(3));
            assertThat(collector.stats().connectionsRefused(RefusalReason.DUPLICATE_CONNECTION)).isEqualTo(1);
        }
        // Once the first has gone, the certificate may connect again.
        try (TestAgent again = new TestAgent(agentTls, port)) {
            assertThat(again.hello(AGENT)).isEqualTo(new Frame.Welcome(3));
        }
    }

    @Test
    void aSeqFarAheadIsRefusedAndDoesNotHideTheAlertsAfterIt() throws Exception {
        try (TestAgent agent = new TestAgent(agentTls, port)) {
            agent.hello(AGENT);
            agent.send(Frame.Alerts.of(alerts(AGENT, 1, 2)));
            assertThat(agent.next()).isEqualTo(new Frame.Ack(2));

            agent.send(Frame.Alerts.of(List.of(alert(AGENT, 1_000_000_000L))));
            Frame.Refuse refusal = (Frame.Refuse) agent.next();
            assertThat(refusal.reason()).isEqualTo(RefusalReason.SEQ_JUMP);
            assertThat(refusal.message()).contains("seq 1000000000, more than maxSeqGap (1000) beyond seq 2");
            assertThat(agent.awaitClosed()).isTrue();
        }
        try (TestAgent agent = new TestAgent(agentTls, port)) {
            assertThat(agent.hello(AGENT)).isEqualTo(new Frame.Welcome(2));
            agent.send(Frame.Alerts.of(alerts(AGENT, 3, 3)));
            assertThat(agent.next()).isEqualTo(new Frame.Ack(3));
        }
        assertThat(collector.stats().framesRejected(ProtocolException.Reason.SEQ_JUMP)).isEqualTo(1);
    }

    @Test
    void aGapTheAgentDeclaresInItsHelloIsTaken() throws Exception {
        try (TestAgent agent = new TestAgent(agentTls, port)) {
            // The agent's spool dropped alerts 1 to 50000 (counted there) and says it resumes after them.
            agent.send(new Frame.Hello(AGENT, 50_000));
            assertThat(agent.next()).isEqualTo(new Frame.Welcome(0));
            agent.send(Frame.Alerts.of(alerts(AGENT, 50_001, 50_002)));
            assertThat(agent.next()).isEqualTo(new Frame.Ack(50_002));
        }
    }

    @Test
    void anAlertForAnotherHostIsRefusedWithItsReason() throws Exception {
        try (TestAgent agent = new TestAgent(agentTls, port)) {
            agent.hello(AGENT);
            agent.send(Frame.Alerts.of(List.of(alert("kvm-02", 1))));

            Frame.Refuse refusal = (Frame.Refuse) agent.next();
            assertThat(refusal.reason()).isEqualTo(RefusalReason.IDENTITY_MISMATCH);
            assertThat(refusal.message()).contains("claims agent 'kvm-02'");
            assertThat(agent.awaitClosed()).isTrue();
        }
        assertThat(collector.lastJournaledSeq("kvm-02")).isZero();
        assertThat(collector.lastJournaledSeq(AGENT)).isZero();
    }

    @Test
    void beforeItsHelloAPeerGetsRoomForAHelloOnly() throws Exception {
        try (TestAgent agent = new TestAgent(agentTls, port)) {
            agent.sendRaw(ByteBuffer.allocate(6).putInt(8 * 1024).put((byte) 1).put((byte) 3).array());

            Frame.Refuse refusal = (Frame.Refuse) agent.next();
            assertThat(refusal.reason()).isEqualTo(RefusalReason.OVERSIZED);
            assertThat(refusal.message()).isEqualTo("frame of 8192 bytes exceeds maximum 4096");
        }
        assertThat(IngestStats.CONNECTION_REFUSALS).doesNotContain(RefusalReason.OVERSIZED);
        assertThat(collector.stats().framesRejected(ProtocolException.Reason.OVERSIZED)).isEqualTo(1);
    }
}
