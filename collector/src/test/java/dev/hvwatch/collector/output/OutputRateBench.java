package dev.hvwatch.collector.output;

import com.sun.net.httpserver.HttpServer;
import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.config.OutputConfig.Format;
import dev.hvwatch.collector.config.OutputConfig.SyslogProtocol;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.output.format.AlertFormat;
import dev.hvwatch.collector.output.transport.FileTransport;
import dev.hvwatch.collector.output.transport.KafkaTransport;
import dev.hvwatch.collector.output.transport.SyslogTransport;
import dev.hvwatch.collector.output.transport.WebhookTransport;
import dev.hvwatch.collector.testing.KafkaBroker;
import dev.hvwatch.collector.testing.Rsyslog;
import dev.hvwatch.collector.testing.TestAlerts;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Delivery rate of each output to its real receiver (bench/outputs.sh, BENCHMARKS.md): the journal is filled with
 * N alerts first, then one output at a time is started and timed until its lag is 0, and the receiver's count is
 * checked against N.
 */
public final class OutputRateBench {
    private OutputRateBench() {
    }

    public static void main(String[] args) throws Exception {
        int alerts = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int batchSize = args.length > 1 ? Integer.parseInt(args[1]) : OutputConfig.DEFAULT_BATCH_SIZE;
        Path dir = Files.createTempDirectory("hvwatch-output-bench");
        Pki pki = Pki.createCa(dir.resolve("pki"), "bench CA");
        TlsFiles client = pki.issueAgent("collector");
        try (AlertJournal journal = AlertJournal.open(dir.resolve("journal"), false, a -> { });
             Rsyslog rsyslog = new Rsyslog(dir.resolve("rsyslog"), pki.issueServer("rsyslog"));
             KafkaBroker kafka = new KafkaBroker(dir.resolve("kafka"))) {
            for (int from = 1; from <= alerts; from += 1000) {
                journal.append(TestAlerts.encoded(TestAlerts.alerts("kvm-bench", from, Math.min(alerts, from + 999))));
            }
            System.out.printf("%d alerts of %d bytes (canonical JSON), batchSize %d%n", alerts,
                    AlertJson.toBytes(TestAlerts.alert("kvm-bench", 1)).length, batchSize);

            Path file = dir.resolve("alerts.jsonl");
            OutputConfig.File fileConfig = new OutputConfig.File(null, null, null, null, file, null);
            time("file json", journal, AlertFormat.of(fileConfig), new FileTransport(file, fileConfig.rotate(),
                    Clock.systemUTC()), batchSize, () -> lines(file), alerts);
            Path ocsf = dir.resolve("alerts.ocsf");
            OutputConfig.File ocsfConfig = new OutputConfig.File(Format.OCSF, null, null, null, ocsf, null);
            time("file ocsf", journal, AlertFormat.of(ocsfConfig), new FileTransport(ocsf, ocsfConfig.rotate(),
                    Clock.systemUTC()), batchSize, () -> lines(ocsf), alerts);

            OutputConfig.Syslog syslog = new OutputConfig.Syslog(null, null, null, null, "localhost:" + rsyslog.tlsPort,
                    SyslogProtocol.TLS, new OutputConfig.ClientTls(client.ca(), client.cert(), client.key()), null);
            time("syslog tls → rsyslog", journal, AlertFormat.of(syslog), new SyslogTransport(syslog), batchSize,
                    () -> rsyslog.received().size(), alerts);

            kafka.createTopic("bench", 3);
            OutputConfig.Kafka kafkaConfig = new OutputConfig.Kafka(null, null, null, null,
                    List.of(kafka.bootstrapServers()), "bench", null, Map.of());
            time("kafka json (acks=all)", journal, AlertFormat.of(kafkaConfig), new KafkaTransport(kafkaConfig),
                    batchSize, () -> kafka.readAll("bench", alerts, Duration.ofMillis(200)).size(), alerts);

            AtomicLong posted = new AtomicLong();
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/hook", exchange -> {
                posted.addAndGet(AlertJson.mapper().readTree(exchange.getRequestBody()).size());
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start();
            OutputConfig.Webhook webhook = new OutputConfig.Webhook(null, null, null, null,
                    URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook"), null, null, null);
            time("webhook json", journal, AlertFormat.of(webhook), new WebhookTransport(webhook), batchSize,
                    posted::get, alerts);
            server.stop(0);
        }
    }

    private static void time(String name, AlertJournal journal, AlertFormat format, Transport transport,
            int batchSize, Counter received, int alerts) throws Exception {
        long start = System.nanoTime();
        try (Output output = Output.start(name.replaceAll("[^a-z0-9]+", "-"), journal, format, transport,
                batchSize, Duration.ofMillis(100), Duration.ofSeconds(1))) {
            while (output.lag() > 0) {
                Thread.sleep(5);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long count = received.count();
            System.out.printf("%-24s %8.0f alerts/s  (%d in %.2f s; receiver holds %d; errors %d)%n", name,
                    alerts / seconds, alerts, seconds, count, output.errors());
            if (count != alerts) {
                throw new IllegalStateException(name + ": the receiver holds " + count + ", not " + alerts);
            }
        }
    }

    private static long lines(Path file) throws Exception {
        try (var lines = Files.lines(file)) {
            return lines.count();
        }
    }

    @FunctionalInterface
    private interface Counter {
        long count() throws Exception;
    }
}
