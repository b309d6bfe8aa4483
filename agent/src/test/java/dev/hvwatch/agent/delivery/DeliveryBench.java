package dev.hvwatch.agent.delivery;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.ship.AlertShipper;
import dev.hvwatch.agent.ship.ShipperSettings;
import dev.hvwatch.agent.spool.Spool;
import dev.hvwatch.agent.spool.SpoolLimits;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.config.HostPort;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.FreePort;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Delivery benchmarks, each printing one result line (BENCHMARKS.md; run through {@code bench/delivery.sh}):
 * <ul>
 *   <li>{@code spool N}: spool append rate, N alerts (canonical JSON encoding included);
 *   <li>{@code ingest AGENTS N BATCH [sync]}: collector ingest rate, AGENTS connections each sending N alerts in
 *       batches of BATCH over TLS on loopback, counted until all are journaled and acknowledged; {@code sync} sets
 *       {@code journal.sync};
 *   <li>{@code latency RATE SECONDS}: agent→collector latency, from the agent spooling an alert to the collector
 *       having journaled it, at a steady RATE per second;
 *   <li>{@code drain N}: N alerts spooled while the collector is down, then the time until all are acknowledged.
 * </ul>
 */
public final class DeliveryBench {
    private static final String AGENT = "kvm-bench";

    private final Path dir;
    private final TlsFiles collectorTls;
    private final TlsFiles agentTls;
    private final AlertFactory alerts = new AlertFactory(AGENT);

    private DeliveryBench(Path dir) throws Exception {
        this.dir = dir;
        Pki pki = Pki.createCa(dir.resolve("pki"), "bench CA");
        collectorTls = pki.issueServer("collector");
        agentTls = pki.issueAgent(AGENT);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("hvwatch-bench-");
        DeliveryBench bench = new DeliveryBench(dir);
        switch (args[0]) {
            case "spool" -> bench.spool(Long.parseLong(args[1]));
            case "ingest" -> IngestLoad.run(dir, Integer.parseInt(args[1]), Long.parseLong(args[2]),
                    Integer.parseInt(args[3]), args.length > 4 && args[4].equals("sync"));
            case "latency" -> bench.latency(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            case "drain" -> bench.drain(Long.parseLong(args[1]));
            default -> throw new IllegalArgumentException("unknown benchmark " + args[0]);
        }
        System.exit(0);
    }

    private void spool(long n) throws Exception {
        try (Spool spool = openSpool()) {
            Alert alert = AlertStreamProcess.alert(alerts, 0);
            for (int i = 0; i < 50_000; i++) {
                spool.append(alert);
            }
            long started = System.nanoTime();
            for (long i = 0; i < n; i++) {
                spool.append(alert);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("spool append: %d alerts in %.2f s = %.0f alerts/s (%d bytes of JSON each)%n", n,
                    seconds, n / seconds, AlertJson.toBytes(alert.withSeq(n)).length);
        }
    }

    private void latency(int rate, int seconds) throws Exception {
        Map<String, Long> spooledAt = new ConcurrentHashMap<>();
        long[] latencies = new long[rate * seconds];
        AtomicInteger count = new AtomicInteger();
        // Called on the collector's single journal writer thread, once per alert.
        Consumer<Alert> journaled = alert -> {
            Long at = spooledAt.remove(alert.id());
            if (at != null && count.get() < latencies.length) {
                latencies[count.getAndIncrement()] = System.nanoTime() - at;
            }
        };
        try (Collector collector = collector(0, journaled);
             Spool spool = openSpool();
             AlertShipper shipper = shipper(collector.start(), spool)) {
            while (!shipper.connected()) {
                Thread.sleep(10);
            }
            long interval = 1_000_000_000L / rate;
            long next = System.nanoTime();
            for (int i = 0; i < latencies.length; i++) {
                Alert alert = AlertStreamProcess.alert(alerts, i);
                spooledAt.put(alert.id(), System.nanoTime());
                shipper.offer(alert);
                next += interval;
                LockSupport.parkNanos(next - System.nanoTime());
            }
            while (count.get() < latencies.length) {
                Thread.sleep(10);
            }
        }
        Arrays.sort(latencies);
        System.out.printf("latency spool→journal at %d alerts/s over %d s: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                rate, seconds, latencies[latencies.length / 2] / 1e6, latencies[latencies.length * 99 / 100] / 1e6,
                latencies[latencies.length - 1] / 1e6);
    }

    private void drain(long n) throws Exception {
        int port = FreePort.find();
        try (Spool spool = openSpool(); AlertShipper shipper = shipper(port, spool)) {
            for (long i = 1; i <= n; i++) {
                shipper.offer(AlertStreamProcess.alert(alerts, i));
            }
            try (Collector collector = collector(port, alert -> { })) {
                long started = System.nanoTime();
                collector.start();
                while (shipper.acknowledgedSeq() < n) {
                    Thread.sleep(5);
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                System.out.printf("drain: %d alerts spooled while the collector was down, all acknowledged %.2f s "
                        + "after it started = %.0f alerts/s (collector start-up included)%n", n, seconds, n / seconds);
            }
        }
    }

    private Spool openSpool() throws Exception {
        return Spool.open(dir.resolve("spool-" + System.nanoTime()), new SpoolLimits(100_000_000, Duration.ofDays(1)));
    }

    private AlertShipper shipper(int port, Spool spool) throws Exception {
        return AlertShipper.start(ShipperSettings.of(List.of(new HostPort("localhost", port)), AGENT, agentTls,
                ShipperSettings.DEFAULT_BATCH_SIZE), spool);
    }

    private Collector collector(int port, Consumer<Alert> journaled) {
        return new Collector(CollectorConfig.of(new InetSocketAddress("127.0.0.1", port), collectorTls,
                dir.resolve("journal-" + System.nanoTime()), null), journaled);
    }
}
