package dev.hvwatch.agent.ship;

import static dev.hvwatch.agent.ship.ShipTestSupport.alert;
import static dev.hvwatch.agent.ship.ShipTestSupport.collectorConfig;
import static dev.hvwatch.agent.ship.ShipTestSupport.journaled;
import static dev.hvwatch.agent.ship.ShipTestSupport.spool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hvwatch.agent.spool.Spool;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.config.HostPort;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.RefusalReason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A collector that refuses the agent: the shipper counts why (its REFUSE reason, or the TLS alert about its
 * certificate) and backs off, doubling its delay, instead of dialling again several times a second; the alerts stay
 * spooled.
 */
class ShipRefusalsTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);

    @TempDir
    Path dir;

    private Pki pki;
    private TlsFiles collectorTls;

    @BeforeEach
    void certificates() throws Exception {
        pki = Pki.createCa(dir.resolve("pki"), "hvwatch test CA");
        collectorTls = pki.issueServer("collector");
    }

    @Test
    void aRefusalAfterWelcomeIsCountedAndTheDelayDoubles() throws Exception {
        // The certificate says kvm-01; the alerts this (misconfigured) agent spools claim kvm-02.
        TlsFiles agentTls = pki.issueAgent("kvm-01");
        try (Collector collector = new Collector(collectorConfig(0, collectorTls, dir.resolve("journal"), null));
             Spool spool = spool(dir.resolve("spool"));
             AlertShipper shipper = AlertShipper.start(settings("kvm-02", agentTls, collector.start()), spool)) {
            shipper.offer(alert("kvm-02", "a1"));
            long started = System.nanoTime();
            await().atMost(PATIENCE).until(() -> shipper.refusals(RefusalReason.IDENTITY_MISMATCH.label()) >= 5);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

            // Four delays between five refusals, each at least half of 100, 200, 400, 800 ms: 750 ms. Reset at every
            // WELCOME, as before, they would be at least 4 x 50 ms.
            assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(750));
            assertThat(spool.pending()).isEqualTo(1);
            assertThat(collector.lastJournaledSeq("kvm-01")).isZero();
            assertThat(shipper.refusals(RefusalReason.SEQ_JUMP.label())).isZero();
        }
    }

    @Test
    void aRevokedCertificateIsCountedAsSuch() throws Exception {
        TlsFiles agentTls = pki.issueAgent("kvm-01");
        pki.revoke(agentTls.cert());
        CollectorConfig base = collectorConfig(0, collectorTls, dir.resolve("journal"), null);
        CollectorConfig withCrl = new CollectorConfig(base.listen(), new CollectorConfig.Tls(base.tls().cert(),
                base.tls().key(), base.tls().ca(), pki.crl(), null), base.journal(), base.outputs(), base.api(),
                null, null, null, null, null);
        try (Collector collector = new Collector(withCrl);
             Spool spool = spool(dir.resolve("spool"));
             AlertShipper shipper = AlertShipper.start(settings("kvm-01", agentTls, collector.start()), spool)) {
            shipper.offer(alert("kvm-01", "a1"));

            await().atMost(PATIENCE).until(() -> shipper.refusals(ShipRefusals.CERTIFICATE_REVOKED) >= 2
                    || shipper.refusals(ShipRefusals.CERTIFICATE_REFUSED) >= 2);
            assertThat(spool.pending()).isEqualTo(1);
            assertThat(shipper.connected()).isFalse();
            System.out.printf("revoked certificate: certificate_revoked %d, certificate_refused %d%n",
                    shipper.refusals(ShipRefusals.CERTIFICATE_REVOKED),
                    shipper.refusals(ShipRefusals.CERTIFICATE_REFUSED));
        }
    }

    @Test
    void twoAgentsSharingACertificateAreNotMergedTheSecondIsRefused() throws Exception {
        TlsFiles shared = pki.issueAgent("kvm-01");
        try (Collector collector = new Collector(collectorConfig(0, collectorTls, dir.resolve("journal"), null))) {
            int port = collector.start();
            try (Spool first = spool(dir.resolve("spool-1"));
                 Spool second = spool(dir.resolve("spool-2"));
                 AlertShipper one = AlertShipper.start(settings("kvm-01", shared, port), first)) {
                one.offer(alert("kvm-01", "one-1"));
                await().atMost(PATIENCE).until(() -> one.acknowledgedSeq() == 1);
                try (AlertShipper two = AlertShipper.start(settings("kvm-01", shared, port), second)) {
                    two.offer(alert("kvm-01", "two-1"));

                    await().atMost(PATIENCE)
                            .until(() -> two.refusals(RefusalReason.DUPLICATE_CONNECTION.label()) >= 1);
                    one.offer(alert("kvm-01", "one-2"));
                    await().atMost(PATIENCE).until(() -> one.acknowledgedSeq() == 2);
                    assertThat(second.pending()).as("the refused agent keeps its alert").isEqualTo(1);
                }
            }
        }
        List<Alert> journaled = journaled(dir.resolve("journal"));
        assertThat(journaled).extracting(Alert::id).containsExactly("one-1", "one-2");
    }

    private static ShipperSettings settings(String identity, TlsFiles tls, int port) {
        return new ShipperSettings(List.of(new HostPort("localhost", port)), identity, tls, 10,
                ShipTestSupport.FAST_HEARTBEAT, MIN_BACKOFF, Duration.ofSeconds(10));
    }
}
