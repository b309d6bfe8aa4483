package dev.hvwatch.collector.testing;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.EncodedAlert;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.VmRef;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

/** Valid alerts for tests, distinguishable by identity and seq. */
public final class TestAlerts {
    private static final Instant EPOCH = Instant.parse("2025-01-02T03:04:05.123456789Z");

    private TestAlerts() {
    }

    public static Alert alert(String identity, long seq) {
        return new Alert("alert-" + identity + "-" + seq, identity, seq, AlertTime.format(EPOCH.plusSeconds(seq)),
                identity, "vcpu-starvation", "vCPU starved", Severity.HIGH, Category.STARVATION, AlertState.FIRING,
                new VmRef("guest-1", "5f0c8a4e-0000-4000-8000-000000000001", 4242L), 0, null, List.of("HY-SR-5"),
                Map.of("waitRatio", 0.42, "threshold", 0.2), "vCPU 0 of guest-1 waited 42% of the last minute");
    }

    /** The alerts with their canonical JSON, as the journal takes them. */
    public static List<EncodedAlert> encoded(List<Alert> alerts) {
        return alerts.stream().map(EncodedAlert::of).toList();
    }

    /** Alerts {@code from} to {@code to}, both included. */
    public static List<Alert> alerts(String identity, long from, long to) {
        return LongStream.rangeClosed(from, to).mapToObj(seq -> alert(identity, seq)).toList();
    }
}
