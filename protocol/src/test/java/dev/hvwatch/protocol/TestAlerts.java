package dev.hvwatch.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Alerts for tests: complete, valid and distinguishable by seq. */
public final class TestAlerts {
    private TestAlerts() {
    }

    public static Alert alert(String identity, long seq) {
        return new Alert("alert-" + identity + "-" + seq, identity, seq,
                AlertTime.format(Instant.parse("2025-01-02T03:04:05.123456789Z")), identity, "vcpu-starvation",
                "vCPU starved", Severity.HIGH, Category.STARVATION, AlertState.FIRING,
                new VmRef("guest-1", "5f0c8a4e-0000-4000-8000-000000000001", 4242L), 0, null, List.of("HY-SR-5"),
                Map.of("waitRatio", 0.42, "threshold", 0.2), "vCPU 0 of guest-1 waited 42% of the last minute",
                "file:///usr/share/doc/hvwatch-agent/runbooks/vcpu-starvation.md");
    }
}
