package dev.hvwatch.collector;

import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.awaitility.Durations.TEN_SECONDS;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.ingest.IngestStats.HandshakeFailure;
import dev.hvwatch.collector.testing.TestAgent;
import dev.hvwatch.collector.testing.TestPki;
import dev.hvwatch.protocol.tls.TlsContexts;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.Frame;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificates rotated and revoked while the collector runs: no restart, and connections already open carry on. */
class TlsReloadTest {
    @TempDir
    Path dir;

    private TestPki pki;
    private Collector collector;
    private int port;

    @BeforeEach
    void start() throws Exception {
        pki = new TestPki(dir.resolve("pki"));
        CollectorConfig base = pki.collectorConfig(dir.resolve("journal"));
        collector = new Collector(new CollectorConfig(base.listen(), new CollectorConfig.Tls(base.tls().cert(),
                base.tls().key(), base.tls().ca(), pki.pki().crl(), Duration.ofMillis(100)), base.journal(),
                base.outputs(), base.api(), null, null, null, null, null));
        port = collector.start();
    }

    @AfterEach
    void stop() throws Exception {
        collector.close();
    }

    @Test
    void aRotatedCollectorCertificateServesNewConnectionsWhileOpenOnesCarryOn() throws Exception {
        TlsFiles agentTls = pki.agent("kvm-01");
        // Another certificate for the probes, so that they never stand in for the open connection's agent.
        TlsFiles probeTls = pki.agent("kvm-probe");
        try (TestAgent before = new TestAgent(TlsContexts.client(agentTls), port)) {
            before.hello("kvm-01");
            BigInteger oldSerial = before.collectorCertificate().getSerialNumber();

            pki.pki().issueServer("collector");

            await("the new certificate is served").atMost(TEN_SECONDS).until(() -> {
                BigInteger served = servedSerial(probeTls);
                return served != null && !served.equals(oldSerial);
            });
            before.send(Frame.Alerts.of(alerts("kvm-01", 1, 1)));
            assertThat(before.next()).isEqualTo(new Frame.Ack(1));
            assertThat(collector.stats().handshakesFailed()).isZero();
        }
    }

    @Test
    void revokingACertificateClosesItsConnectionAndRefusesItsReturnWhileOthersCarryOn() throws Exception {
        TlsFiles revoked = pki.agent("kvm-bad");
        try (TestAgent good = new TestAgent(TlsContexts.client(pki.agent("kvm-good")), port);
             TestAgent bad = new TestAgent(TlsContexts.client(revoked), port)) {
            good.hello("kvm-good");
            bad.hello("kvm-bad");

            pki.pki().revoke(revoked.cert());

            assertThat(bad.awaitClosed()).isTrue();
            assertThat(collector.stats().revokedConnectionsClosed()).isEqualTo(1);
            try (TestAgent again = new TestAgent(TlsContexts.client(revoked), port)) {
                again.send(new Frame.Hello("kvm-bad", 0));
                assertThat(again.awaitClosed()).isTrue();
            }
            await("the refusal is counted").atMost(TEN_SECONDS).until(
                    () -> collector.stats().handshakesFailed(HandshakeFailure.REVOKED) == 1);
            good.send(Frame.Alerts.of(alerts("kvm-good", 1, 1)));
            assertThat(good.next()).isEqualTo(new Frame.Ack(1));
        }
    }

    /**
     * The serial of the certificate a new connection is served, null while no handshake succeeds. Only the handshake:
     * a probe that waited for the collector's WELCOME would wait out the whole deadline on one failed connection.
     */
    private BigInteger servedSerial(TlsFiles probeTls) {
        try (TestAgent probe = new TestAgent(TlsContexts.client(probeTls), port)) {
            return probe.collectorCertificate().getSerialNumber();
        } catch (Exception | AssertionError e) {
            return null;
        }
    }
}
