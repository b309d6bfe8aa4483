package dev.hvwatch.agent.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hvwatch.agent.ship.AlertShipper;
import dev.hvwatch.agent.ship.ShipperSettings;
import dev.hvwatch.agent.spool.Spool;
import dev.hvwatch.agent.spool.SpoolLimits;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.journal.JournalReader;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.VmRef;
import dev.hvwatch.protocol.config.HostPort;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.RefusalReason;
import dev.hvwatch.testkit.FreePort;
import dev.hvwatch.testkit.Tmpfs;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector's disk fills up while an agent's alerts flow, on a real 32 MiB tmpfs holding the journal and a file
 * output: the journal takes nothing that would leave less than {@code journal.minFreeBytes}, ingest refuses those
 * batches (journal_unavailable, counted per alert) so the agent keeps them spooled and retries, /readyz says why,
 * the file output retries; once there is room the running collector takes them again; a collector restarted on a
 * full disk starts degraded instead of failing; once there is room again every alert is journaled and written to the
 * file exactly once.
 */
class CollectorDiskFullTest {
    private static final String AGENT = "kvm-01";
    private static final long DISK = 32L << 20;
    private static final long MIN_FREE = 2L << 20;
    private static final int BEFORE = 2_000;
    private static final int MIDDLE = 5_000;
    private static final int TOTAL = 8_000;
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aFullDiskRefusesAndCountsThenEveryAlertIsDeliveredOnceThereIsRoom() throws Exception {
        Pki pki = Pki.createCa(dir.resolve("pki"), "hvwatch test CA");
        TlsFiles agentTls = pki.issueAgent(AGENT);
        try (Tmpfs disk = Tmpfs.mount(dir.resolve("disk"), DISK);
             Spool spool = Spool.open(dir.resolve("spool"), new SpoolLimits(1_000_000, Duration.ofDays(1)))) {
            CollectorConfig config = config(pki.issueServer("collector"), disk.path(), FreePort.find());
            Path filler = disk.path().resolve("filler");
            Collector collector = new Collector(config);
            try (AlertShipper shipper = AlertShipper.start(new ShipperSettings(
                    List.of(new HostPort("localhost", collector.start())), AGENT, agentTls, 100,
                    Duration.ofMillis(500), Duration.ofMillis(50), Duration.ofSeconds(1)), spool)) {
                offer(shipper, 1, BEFORE);
                await().atMost(PATIENCE).until(() -> shipper.acknowledgedSeq() == BEFORE);

                // Full, but for a little more than the journal keeps free: some of what follows fits, not all.
                disk.fill(filler, MIN_FREE + (1L << 20));
                offer(shipper, BEFORE + 1, MIDDLE);
                Collector full = collector;
                await().atMost(PATIENCE).until(() -> full.stats().alertsRefused() > 0
                        && shipper.refusals(RefusalReason.JOURNAL_UNAVAILABLE.label()) > 0);
                assertThat(readiness(collector)).satisfies(ready -> {
                    assertThat(ready.statusCode()).isEqualTo(503);
                    assertThat(ready.body()).contains("the journal takes no alerts: disk full");
                });
                assertThat(metric(collector, "hvwatch_collector_journal_writable")).isZero();
                assertThat(spool.pending()).isPositive();
                long journaledWhileFull = collector.lastJournaledSeq(AGENT);
                assertThat(journaledWhileFull).isLessThan(MIDDLE);

                // Room made while it runs: it takes alerts again, without a restart.
                Files.delete(filler);
                await().atMost(PATIENCE).until(() -> shipper.acknowledgedSeq() == MIDDLE);
                assertThat(readiness(collector).statusCode()).isEqualTo(200);
                assertThat(metric(collector, "hvwatch_collector_journal_writable")).isEqualTo(1);

                // Restarted on a full disk, it starts, degraded, and says why.
                collector.close();
                disk.fill(filler, 0);
                offer(shipper, MIDDLE + 1, TOTAL);
                collector = new Collector(config);
                collector.start();
                assertThat(readiness(collector).statusCode()).isEqualTo(503);
                assertThat(readiness(collector).body()).contains("disk full");
                long refusalsBefore = shipper.refusals(RefusalReason.JOURNAL_UNAVAILABLE.label());
                await().atMost(PATIENCE).until(() ->
                        shipper.refusals(RefusalReason.JOURNAL_UNAVAILABLE.label()) > refusalsBefore);

                Files.delete(filler);
                Collector roomy = collector;
                await().atMost(PATIENCE).until(() -> shipper.acknowledgedSeq() == TOTAL);
                await().atMost(PATIENCE).until(() -> roomy.outputs().all().get(0).lag() == 0);
                assertThat(readiness(collector).statusCode()).isEqualTo(200);
                assertThat(metric(collector, "hvwatch_collector_journal_writable")).isEqualTo(1);
                assertThat(spool.pending()).isZero();
                System.out.printf("CollectorDiskFullTest: %d of %d alerts journaled when the disk was full; the "
                        + "collector refused %d alerts (journal_unavailable), its successor on the full disk refused "
                        + "the agent's HELLO; the agent counted %d refusals%n", journaledWhileFull, MIDDLE,
                        full.stats().alertsRefused(), shipper.refusals(RefusalReason.JOURNAL_UNAVAILABLE.label()));
            } finally {
                collector.close();
            }
            assertEveryAlertOnce(journaledSeqs(disk.path().resolve("journal")));
            assertEveryAlertOnce(Files.readAllLines(disk.path().resolve("out/alerts.jsonl")).stream()
                    .map(line -> AlertJson.parse(line).seq()).toList());
        }
    }

    private static void assertEveryAlertOnce(List<Long> seqs) {
        assertThat(seqs).containsExactlyElementsOf(LongStream.rangeClosed(1, TOTAL).boxed().toList());
    }

    private static List<Long> journaledSeqs(Path journal) throws Exception {
        List<Long> seqs = new ArrayList<>();
        JournalReader.forEach(journal, entry -> seqs.add(entry.seq()));
        return seqs;
    }

    private static void offer(AlertShipper shipper, int from, int to) {
        for (int i = from; i <= to; i++) {
            assertThat(shipper.offer(alert("a" + i))).isEqualTo(i);
        }
    }

    private static Alert alert(String id) {
        return new Alert(id, AGENT, 0, AlertTime.format(Instant.parse("2025-01-02T03:04:05.123456789Z")), AGENT,
                "vcpu-starvation", "vCPU starved", Severity.HIGH, Category.STARVATION, AlertState.FIRING,
                new VmRef("guest-1", "5f0c8a4e-0000-4000-8000-000000000001", 4242L), 0, null, List.of("HY-SR-5"),
                Map.of("waitRatio", 0.42, "threshold", 0.2), "vCPU 0 of guest-1 waited 42% of the last minute "
                + "while its host's other guests took the CPU; this sentence pads the alert to a realistic size", null);
    }

    private static CollectorConfig config(TlsFiles tls, Path disk, int port) {
        CollectorConfig base = CollectorConfig.of(InetSocketAddress.createUnresolved("127.0.0.1", port), tls,
                disk.resolve("journal"), null);
        OutputConfig.File archive = new OutputConfig.File(OutputConfig.Format.JSON, null, 100,
                new OutputConfig.Retry(Duration.ofMillis(50), Duration.ofMillis(500)), disk.resolve("out/alerts.jsonl"),
                null);
        return new CollectorConfig(base.listen(), base.tls(), new CollectorConfig.Journal(disk.resolve("journal"),
                false, MIN_FREE), Map.of("archive", archive), base.api(), null, null, null, null, null);
    }

    private static HttpResponse<String> readiness(Collector collector) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + collector.apiAddress().getPort() + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double metric(Collector collector, String series) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + collector.apiAddress().getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        for (String line : body.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        throw new AssertionError("no " + series + " in /metrics");
    }

}
