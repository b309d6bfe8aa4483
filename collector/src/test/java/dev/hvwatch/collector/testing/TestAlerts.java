package dev.hvwatch.collector.testing;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.EncodedAlert;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.VmRef;
import java.time.Instant;
import java.util.LinkedHashMap;
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
                Map.of("waitRatio", 0.42, "threshold", 0.2), "vCPU 0 of guest-1 waited 42% of the last minute",
                "file:///usr/share/doc/hvwatch-agent/runbooks/vcpu-starvation.md");
    }

    /**
     * A starvation alert about a tenant's VM, naming who took the CPU as the agent does: two antagonist VMs (one of
     * another tenant, one plain QEMU) and the host's own processes.
     */
    public static Alert noisyNeighbour(String identity, long seq) {
        Alert plain = alert(identity, seq);
        VmRef victim = new VmRef("instance-0000a1f3", "5f0c8a4e-0000-4000-8000-000000000001", 4242L, "db-primary",
                "payments", "8c4f3e2a9b7d4c1e8f6a5b3c2d1e0f9a", "alice", "m1.large", "libvirt");
        VmRef frontend = new VmRef("instance-0000b200", "5f0c8a4e-0000-4000-8000-000000000002", 4343L, "web-frontend",
                "shop", "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6", "bob", "m1.small", "libvirt");
        VmRef batch = new VmRef("batch-7", "5f0c8a4e-0000-4000-8000-000000000003", 4444L, null, null, null, null,
                null, "qemu");
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("waitRatio", 0.97);
        evidence.put("threshold", 0.2);
        evidence.put("antagonists", List.of(antagonist(frontend, 0.82, "0-1"), antagonist(batch, 0.05, "1")));
        evidence.put("other_host_share", 0.11);
        evidence.put("other_host_processes", List.of("stress-ng", "kworker/0:1"));
        return new Alert(plain.id(), plain.agent(), plain.seq(), plain.time(), plain.host(), plain.rule(),
                plain.title(), plain.severity(), plain.category(), plain.state(), victim, 0, null, plain.nist(),
                evidence, "vCPU 0 of db-primary waited 97% of its runnable time; the CPU went to VM web-frontend (82%) "
                + "and host processes (11%)", null);
    }

    private static Map<String, Object> antagonist(VmRef vm, double share, String cpus) {
        return Map.of("vm", AlertJson.mapper().convertValue(vm, Map.class),
                "share_of_wait", share, "cpus", cpus);
    }

    /**
     * An alert whose every filterable field varies with its seq, in cycles of different lengths: severity (5),
     * state (3: every third resolved), rule (2), VM (4: guest-0 to guest-3, guest-3 none), time (seq seconds after
     * a fixed instant).
     */
    public static Alert varied(String identity, long seq) {
        Severity severity = Severity.values()[(int) (seq % 5)];
        AlertState state = seq % 3 == 0 ? AlertState.RESOLVED : AlertState.FIRING;
        String rule = seq % 2 == 0 ? "vcpu-starvation" : "vm-exit-storm";
        int guest = (int) (seq % 4);
        VmRef vm = guest == 3 ? null
                : new VmRef("guest-" + guest, "5f0c8a4e-0000-4000-8000-00000000000" + guest, 4000L + guest);
        return new Alert("alert-" + identity + "-" + seq, identity, seq, AlertTime.format(EPOCH.plusSeconds(seq)),
                identity, rule, "title of " + rule, severity, Category.STARVATION, state, vm, null, null,
                List.of("HY-SR-5"), Map.of("seq", seq), "alert " + seq + " of " + identity,
                "file:///usr/share/doc/hvwatch-agent/runbooks/" + rule + ".md");
    }

    /** {@link #varied} alerts {@code from} to {@code to}, both included. */
    public static List<Alert> variedAlerts(String identity, long from, long to) {
        return LongStream.rangeClosed(from, to).mapToObj(seq -> varied(identity, seq)).toList();
    }

    /** The instant {@link #varied} alert {@code seq} carries. */
    public static Instant variedTime(long seq) {
        return EPOCH.plusSeconds(seq);
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
