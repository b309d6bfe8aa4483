package dev.hvwatch.agent.delivery;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.ship.AlertShipper;
import dev.hvwatch.agent.ship.ShipperSettings;
import dev.hvwatch.agent.spool.Spool;
import dev.hvwatch.agent.spool.SpoolLimits;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.config.HostPort;
import dev.hvwatch.protocol.tls.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * The agent side of the delivery tests, as a process of its own that the tests kill: the real spool and shipper,
 * fed by a generator that produces alert number n = 1..total at a steady rate. The generator takes up after the
 * spool's last seq, so alert n must land in the collector's journal as seq n, once.
 *
 * <p>Arguments: {@code SPOOL_DIR IDENTITY CERT KEY CA COLLECTOR_PORT TOTAL ALERTS_PER_SECOND}.
 */
public final class AlertStreamProcess {
    private AlertStreamProcess() {
    }

    public static void main(String[] args) throws Exception {
        Path spoolDir = Path.of(args[0]);
        String identity = args[1];
        TlsFiles tls = new TlsFiles(Path.of(args[2]), Path.of(args[3]), Path.of(args[4]));
        int port = Integer.parseInt(args[5]);
        long total = Long.parseLong(args[6]);
        long nanosPerAlert = 1_000_000_000L / Long.parseLong(args[7]);

        Spool spool = Spool.open(spoolDir, new SpoolLimits(10_000_000, Duration.ofDays(1)));
        AlertShipper shipper = AlertShipper.start(new ShipperSettings(List.of(new HostPort("localhost", port)),
                identity, tls, ShipperSettings.DEFAULT_BATCH_SIZE, Duration.ofSeconds(1), Duration.ofMillis(50),
                Duration.ofMillis(500)), spool);
        AlertFactory alerts = new AlertFactory(identity);
        long next = System.nanoTime();
        for (long n = spool.lastSeq() + 1; n <= total; n++) {
            long seq = shipper.offer(alert(alerts, n));
            if (seq != n) {
                throw new IllegalStateException("alert " + n + " was spooled as seq " + seq);
            }
            next += nanosPerAlert;
            LockSupport.parkNanos(next - System.nanoTime());
        }
        System.out.println("spooled " + total + " alerts");
        Thread.currentThread().join();
    }

    static Alert alert(AlertFactory alerts, long n) {
        return alerts.create(new AlertFactory.Draft("delivery-test", "Delivery test alert", Severity.INFO,
                Category.AGENT, AlertState.FIRING, null, null, null, List.of(), Map.of("n", n), "alert " + n),
                System.currentTimeMillis() * 1_000_000L);
    }
}
