package dev.hvwatch.collector;

import static dev.hvwatch.collector.testing.TestAlerts.alert;
import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.awaitility.Durations.TEN_SECONDS;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.testing.Scrape;
import dev.hvwatch.collector.testing.TestAgent;
import dev.hvwatch.collector.testing.TestPki;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsContexts;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.Frame;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad peer at once against one collector, while a good agent keeps sending: each is refused or cut
 * off, each is counted in {@code /metrics} under its reason, and the good agent's alerts are all journaled.
 */
class BadPeersTest {
    private static final String GOOD = "kvm-good";

    @TempDir
    Path dir;

    private Collector collector;

    @AfterEach
    void stop() throws Exception {
        collector.close();
    }

    @Test
    void badPeersAreRefusedAndCountedWhileAGoodAgentIsServed() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        TlsFiles revokedAgent = pki.agent("kvm-revoked");
        pki.pki().revoke(revokedAgent.cert());
        CollectorConfig base = pki.collectorConfig(dir.resolve("journal"), 4096, Duration.ofMillis(1500));
        CollectorConfig config = new CollectorConfig(base.listen(), new CollectorConfig.Tls(base.tls().cert(),
                base.tls().key(), base.tls().ca(), pki.pki().crl(), null), base.journal(), base.outputs(),
                base.api(), base.maxFrameBytes(), base.idleTimeout(), null, null, null);
        collector = new Collector(config);
        int port = collector.start();

        try (TestAgent good = new TestAgent(TlsContexts.client(pki.agent(GOOD)), port)) {
            assertThat(good.hello(GOOD)).isEqualTo(new Frame.Welcome(0));
            int seq = 0;

            // No certificate; a certificate from another CA (named like ours); a revoked certificate.
            TlsFiles foreign = Pki.createCa(dir.resolve("foreign"), TestPki.CA_NAME).issueAgent("kvm-foreign");
            SslContext noCert = SslContextBuilder.forClient().trustManager(pki.pki().caCert().toFile())
                    .protocols("TLSv1.3").sslProvider(TlsContexts.provider()).build();
            for (SslContext bad : List.of(noCert,
                    TlsContexts.client(new TlsFiles(foreign.cert(), foreign.key(), pki.pki().caCert())),
                    TlsContexts.client(revokedAgent))) {
                refused(new TestAgent(bad, port));
                seq = sendAndAcknowledge(good, seq);
            }

            // A trusted agent claiming another host in the payload.
            try (TestAgent liar = agent(pki, "kvm-liar", port)) {
                liar.send(Frame.Alerts.of(List.of(alert("kvm-good", 1))));
                assertThat(liar.awaitClosed()).isTrue();
            }
            seq = sendAndAcknowledge(good, seq);

            // Malformed JSON; a frame of an unknown type; a frame above the maximum size: the collector hangs up.
            for (byte[] bytes : List.of(frame(3, "[{\"id\": oops}]"), frame(0x42, ""), oversized())) {
                try (TestAgent broken = agent(pki, "kvm-broken", port)) {
                    broken.sendRaw(bytes);
                    assertThat(broken.awaitClosed()).isTrue();
                }
                seq = sendAndAcknowledge(good, seq);
            }
            // A frame cut short by the client hanging up.
            try (TestAgent cut = agent(pki, "kvm-cut", port)) {
                cut.sendRaw(truncated());
            }
            seq = sendAndAcknowledge(good, seq);

            // Connects and never speaks, not even TLS; meanwhile the good agent's heartbeats keep it connected.
            try (Socket silent = new Socket("127.0.0.1", port)) {
                silent.setSoTimeout(200);
                await("silent connection closed by the collector").atMost(Duration.ofSeconds(15)).pollInSameThread()
                        .until(() -> closedAfterABeat(silent, good));
            }
            sendAndAcknowledge(good, seq);

            await("every refusal counted").atMost(TEN_SECONDS).until(() -> collector.stats().framesRejected() == 5);
            Scrape metrics = Scrape.of(collector.apiAddress().getPort());
            assertThat(metrics.sample("hvwatch_collector_handshake_failures_total{reason=\"no_certificate\"}"))
                    .isEqualTo(1);
            assertThat(metrics.sample("hvwatch_collector_handshake_failures_total{reason=\"untrusted\"}"))
                    .isEqualTo(1);
            assertThat(metrics.sample("hvwatch_collector_handshake_failures_total{reason=\"revoked\"}"))
                    .isEqualTo(1);
            assertThat(metrics.sample("hvwatch_collector_frames_rejected_total{reason=\"identity_mismatch\"}"))
                    .isEqualTo(1);
            assertThat(metrics.sample("hvwatch_collector_frames_rejected_total{reason=\"malformed\"}"))
                    .isEqualTo(1);
            assertThat(metrics.sample("hvwatch_collector_frames_rejected_total{reason=\"unknown_type\"}"))
                    .isEqualTo(1);
            assertThat(metrics.sample("hvwatch_collector_frames_rejected_total{reason=\"oversized\"}"))
                    .isEqualTo(1);
            assertThat(metrics.sample("hvwatch_collector_frames_rejected_total{reason=\"truncated\"}"))
                    .isEqualTo(1);
            assertThat(metrics.sample("hvwatch_collector_idle_timeouts_total")).isGreaterThanOrEqualTo(1);
            assertThat(metrics.sample("hvwatch_collector_alerts_journaled_total")).isEqualTo(9);
            assertThat(collector.lastJournaledSeq(GOOD)).isEqualTo(9);
            assertThat(collector.lastJournaledSeq("kvm-liar")).isZero();
        }
    }

    /** One heartbeat on the good connection, answered; then whether the silent one is closed (a timeout: not yet). */
    private static boolean closedAfterABeat(Socket silent, TestAgent good) throws Exception {
        good.send(new Frame.Heartbeat());
        assertThat(good.next()).isEqualTo(new Frame.Heartbeat());
        try {
            return silent.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    private static void refused(TestAgent agent) throws InterruptedException {
        try (agent) {
            agent.send(new Frame.Hello("whoever", 0));
            assertThat(agent.awaitClosed()).isTrue();
            assertThat(agent.received()).isEmpty();
        }
    }

    private static TestAgent agent(TestPki pki, String identity, int port) throws Exception {
        TestAgent agent = new TestAgent(TlsContexts.client(pki.agent(identity)), port);
        agent.hello(identity);
        return agent;
    }

    private static int sendAndAcknowledge(TestAgent good, int seq) throws InterruptedException {
        good.send(Frame.Alerts.of(alerts(GOOD, seq + 1, seq + 1)));
        assertThat(good.next()).isEqualTo(new Frame.Ack(seq + 1));
        return seq + 1;
    }

    private static byte[] frame(int type, String payload) {
        byte[] json = payload.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(6 + json.length).putInt(2 + json.length).put((byte) 1).put((byte) type)
                .put(json).array();
    }

    /** The length field claims more than the collector's maximum of 4096 bytes. */
    private static byte[] oversized() {
        return ByteBuffer.allocate(6).putInt(1 << 20).put((byte) 1).put((byte) 3).array();
    }

    /** A frame cut short by the connection closing. */
    private static byte[] truncated() {
        return ByteBuffer.allocate(8).putInt(100).put((byte) 1).put((byte) 3).put((byte) '[').put((byte) '{')
                .array();
    }
}
