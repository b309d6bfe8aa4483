package dev.hvwatch.collector;

import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.testing.CollectorProcess;
import dev.hvwatch.collector.testing.Scrape;
import dev.hvwatch.collector.testing.TestAgent;
import dev.hvwatch.collector.testing.TestPki;
import dev.hvwatch.protocol.tls.TlsContexts;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.Frame;
import dev.hvwatch.protocol.wire.RefusalReason;
import dev.hvwatch.testkit.FreePort;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The finding "any valid agent certificate can exhaust the collector's direct memory": connections that each hold a
 * frame of 1 MiB minus 8 bytes, never completed. Reproduced against a collector process with 64 MiB of direct
 * memory: dozens of certificates holding partial frames, and 200 connections of one certificate. The collector must
 * stay up without an OutOfMemoryError, hold no more than {@code maxBufferedBytes}, refuse the rest (overloaded,
 * duplicate_connection), cut every partial frame at its deadline, and then serve a good agent. Separately, a peer
 * trickling a byte now and then is cut at the frame deadline although it is never idle.
 */
class PartialFramesTest {
    private static final int MAX_FRAME = 1 << 20;
    private static final long BUDGET = 16L << 20;
    private static final int CERTIFICATES = 48;
    private static final int ONE_CERTIFICATE_CONNECTIONS = 200;

    @TempDir
    Path dir;

    @Test
    void partialFramesCannotExhaustMemoryAndAreCutAtTheirDeadline() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        int ingestPort = FreePort.find();
        int apiPort = FreePort.find();
        Path config = collectorConfig(pki, ingestPort, apiPort, Duration.ofSeconds(8));
        EventLoopGroup clients = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        List<TestAgent> attackers = new ArrayList<>();
        try (CollectorProcess collector = new CollectorProcess(config, dir.resolve("collector.log"),
                "-XX:+UseSerialGC", "-Xms128m", "-Xmx128m", "-XX:+AlwaysPreTouch", "-XX:MaxDirectMemorySize=64m")) {
            SslContext good = TlsContexts.client(pki.agent("kvm-good"));
            try (TestAgent agent = new TestAgent(good, ingestPort)) {
                agent.deliver("kvm-good", alerts("kvm-good", 1, 100), 50);
            }
            long rssBefore = collector.rssBytes();

            List<SslContext> certificates = new ArrayList<>();
            for (int i = 0; i < CERTIFICATES; i++) {
                certificates.add(TlsContexts.client(pki.agent("kvm-" + i)));
            }
            for (int i = 0; i < CERTIFICATES; i++) {
                attackers.add(holdPartialFrame(clients, certificates.get(i), "kvm-" + i, ingestPort));
            }
            for (int i = 0; i < ONE_CERTIFICATE_CONNECTIONS; i++) {
                attackers.add(holdPartialFrame(clients, certificates.get(0), "kvm-0", ingestPort));
            }
            await("every attacker's bytes read or refused").atMost(Duration.ofSeconds(60))
                    .until(() -> refusedOrHolding(apiPort) >= CERTIFICATES - 1 + ONE_CERTIFICATE_CONNECTIONS);
            Scrape during = Scrape.of(apiPort);
            long rssDuring = collector.rssBytes();

            assertThat(collector.isAlive()).isTrue();
            assertThat(during.sample("hvwatch_collector_buffered_bytes")).isLessThanOrEqualTo(BUDGET);
            assertThat(during.sample("hvwatch_collector_connections_refused_total{reason=\"overloaded\"}"))
                    .isGreaterThanOrEqualTo(CERTIFICATES - BUDGET / MAX_FRAME);
            assertThat(during.sample("hvwatch_collector_connections_refused_total{reason=\"duplicate_connection\"}"))
                    .isEqualTo(ONE_CERTIFICATE_CONNECTIONS);
            assertThat(refusals(attackers)).contains(RefusalReason.OVERLOADED, RefusalReason.DUPLICATE_CONNECTION);

            await("partial frames cut at their deadline").atMost(Duration.ofSeconds(30)).until(() -> {
                Scrape now = Scrape.of(apiPort);
                return now.sample("hvwatch_collector_buffered_bytes") == 0
                        && now.sample("hvwatch_collector_connections_open") == 0;
            });
            Scrape after = Scrape.of(apiPort);
            assertThat(after.sample("hvwatch_collector_connections_refused_total{reason=\"frame_timeout\"}"))
                    .isGreaterThanOrEqualTo(1);
            try (TestAgent agent = new TestAgent(good, ingestPort)) {
                agent.deliver("kvm-good", alerts("kvm-good", 101, 200), 50);
            }
            assertThat(collector.log()).doesNotContain("OutOfMemoryError").doesNotContain("Cannot reserve");
            System.out.printf("PartialFramesTest: RSS %d MiB before, %d MiB while %d connections held partial "
                    + "frames (buffered %.0f MiB), %.0f refused overloaded, %.0f duplicate, %.0f cut at the "
                    + "deadline%n", rssBefore >> 20, rssDuring >> 20, attackers.size(),
                    during.sample("hvwatch_collector_buffered_bytes") / (1 << 20),
                    during.sample("hvwatch_collector_connections_refused_total{reason=\"overloaded\"}"),
                    during.sample("hvwatch_collector_connections_refused_total{reason=\"duplicate_connection\"}"),
                    after.sample("hvwatch_collector_connections_refused_total{reason=\"frame_timeout\"}"));
            // The budget, and room for TLS and the event loops' buffers: 21 MiB more was measured here; the finding
            // was 131 MiB more for 200 connections, and then OutOfMemoryError.
            assertThat(rssDuring - rssBefore).isLessThan(BUDGET + (24L << 20));
        } finally {
            attackers.forEach(TestAgent::close);
            clients.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aTrickleOfBytesCannotKeepAFrameOpen() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        CollectorConfig config = pki.collectorConfig(dir.resolve("journal"))
                .withIngestLimits(MAX_FRAME, Duration.ofSeconds(20), Duration.ofSeconds(1), BUDGET, 1000);
        try (Collector collector = new Collector(config);
             TestAgent trickler = new TestAgent(TlsContexts.client(pki.agent("kvm-slow")), collector.start())) {
            trickler.hello("kvm-slow");
            byte[] frame = ByteBuffer.allocate(100).putInt(96).put((byte) 1).put((byte) 3).array();
            long started = System.nanoTime();
            for (int i = 0; i < frame.length && trickler.isOpen(); i++) {
                trickler.sendRaw(new byte[] {frame[i]});
                Thread.sleep(100);
            }

            assertThat(trickler.awaitClosed()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
            assertThat(trickler.received()).containsExactly(new Frame.Refuse(RefusalReason.FRAME_TIMEOUT,
                    ((Frame.Refuse) trickler.received().peek()).message()));
            assertThat(collector.stats().connectionsRefused(RefusalReason.FRAME_TIMEOUT)).isEqualTo(1);
            assertThat(collector.stats().idleTimeouts()).isZero();
        }
    }

    /** Connects, says HELLO and sends a frame of 1 MiB but for its last 8 bytes; the connection stays open. */
    private static TestAgent holdPartialFrame(EventLoopGroup group, SslContext tls, String identity, int port)
            throws Exception {
        TestAgent attacker = new TestAgent(group, tls, port);
        attacker.send(new Frame.Hello(identity, 0));
        ByteBuffer partial = ByteBuffer.allocate(MAX_FRAME - 8).putInt(MAX_FRAME).put((byte) 1).put((byte) 3);
        attacker.sendRaw(partial.array());
        return attacker;
    }

    private static List<RefusalReason> refusals(List<TestAgent> agents) {
        List<RefusalReason> reasons = new ArrayList<>();
        for (TestAgent agent : agents) {
            agent.received().stream().filter(f -> f instanceof Frame.Refuse)
                    .forEach(f -> reasons.add(((Frame.Refuse) f).reason()));
        }
        return reasons;
    }

    /** Attackers refused so far plus those whose frame the collector holds (a frame of 1 MiB each). */
    private static double refusedOrHolding(int apiPort) throws Exception {
        Scrape now = Scrape.of(apiPort);
        return now.sample("hvwatch_collector_connections_refused_total{reason=\"overloaded\"}")
                + now.sample("hvwatch_collector_connections_refused_total{reason=\"duplicate_connection\"}")
                + Math.floor(now.sample("hvwatch_collector_buffered_bytes") / (MAX_FRAME - 16));
    }

    private Path collectorConfig(TestPki pki, int ingestPort, int apiPort, Duration frameTimeout) throws Exception {
        TlsFiles collectorTls = pki.pki().issueServer("collector-process");
        return Files.writeString(dir.resolve("collector.yaml"), """
                listen: 127.0.0.1:%d
                tls: {cert: %s, key: %s, ca: %s}
                journal: {dir: %s}
                api: {listen: 127.0.0.1:%d}
                maxFrameBytes: %d
                maxBufferedBytes: %d
                frameTimeout: %dms
                """.formatted(ingestPort, collectorTls.cert(), collectorTls.key(), collectorTls.ca(),
                dir.resolve("journal"), apiPort, MAX_FRAME, BUDGET, frameTimeout.toMillis()));
    }

}
