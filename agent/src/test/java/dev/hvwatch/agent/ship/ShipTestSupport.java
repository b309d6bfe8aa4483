package dev.hvwatch.agent.ship;

import dev.hvwatch.agent.spool.Spool;
import dev.hvwatch.agent.spool.SpoolLimits;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.journal.JournalReader;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.VmRef;
import dev.hvwatch.protocol.config.HostPort;
import dev.hvwatch.protocol.tls.TlsFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import dev.hvwatch.testkit.FreePort;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/** Alerts, settings and journal reading shared by the ship tests. */
final class ShipTestSupport {
    static final Duration FAST_HEARTBEAT = Duration.ofMillis(200);

    private ShipTestSupport() {
    }

    /** An alert as the rule engine hands it over: seq 0, to be numbered by the spool. */
    static Alert alert(String identity, String id) {
        return new Alert(id, identity, 0, AlertTime.format(Instant.parse("2025-01-02T03:04:05.123456789Z")),
                identity, "vcpu-starvation", "vCPU starved", Severity.HIGH, Category.STARVATION, AlertState.FIRING,
                new VmRef("guest-1", "5f0c8a4e-0000-4000-8000-000000000001", 4242L), 0, null, List.of("HY-SR-5"),
                Map.of("waitRatio", 0.42), "vCPU 0 of guest-1 waited 42% of the last minute",
                "file:///usr/share/doc/hvwatch-agent/runbooks/vcpu-starvation.md");
    }

    /** Settings that retry and notice silence within a test's patience; the ports are tried in order. */
    static ShipperSettings settings(String identity, TlsFiles tls, int batchSize, int... ports) {
        return new ShipperSettings(IntStream.of(ports).mapToObj(p -> new HostPort("localhost", p)).toList(),
                identity, tls, batchSize, FAST_HEARTBEAT, Duration.ofMillis(50), Duration.ofMillis(400));
    }

    static Spool spool(Path dir) throws IOException {
        return Spool.open(dir, new SpoolLimits(1_000_000, Duration.ofDays(1)));
    }

    /** A port nothing listens on. */
    static int closedPort() throws IOException {
        return FreePort.find();
    }

    static CollectorConfig collectorConfig(int port, TlsFiles tls, Path journalDir, Duration idleTimeout) {
        CollectorConfig base = CollectorConfig.of(InetSocketAddress.createUnresolved("127.0.0.1", port), tls,
                journalDir, null);
        return new CollectorConfig(base.listen(), base.tls(), base.journal(), base.outputs(), base.api(), null,
                idleTimeout, null, null, null);
    }

    static List<Alert> journaled(Path journalDir) throws IOException {
        List<Alert> alerts = new ArrayList<>();
        JournalReader.forEach(journalDir, entry -> alerts.add(entry.alert()));
        return alerts;
    }
}
