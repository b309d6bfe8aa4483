package dev.hvwatch.agent.spool;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.alert.AlertSink;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.config.Durations;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Raises {@value #RULE} (category {@code agent}) when the spool has dropped alerts: the SOC must learn that alerts
 * are missing, not only the metrics. At most one per {@code interval}, reporting every drop since the previous one,
 * so that a long outage yields a handful of alerts rather than a flood that would itself be discarded.
 */
public final class SpoolOverflowAlarm {
    public static final String RULE = "agent-spool-overflow";

    private final Spool spool;
    private final AlertFactory alerts;
    private final AlertSink sink;
    private final long intervalNanos;
    private long reported;
    private long lastRaisedNanos;
    private boolean raised;

    public SpoolOverflowAlarm(Spool spool, AlertFactory alerts, AlertSink sink, Duration interval) {
        this.spool = spool;
        this.alerts = alerts;
        this.sink = sink;
        this.intervalNanos = interval.toNanos();
        this.reported = spool.dropped();
    }

    /** Raises the alert if alerts were dropped since the last one and the interval has passed. */
    void raiseIfDue(long nowNanos) {
        long dropped = spool.dropped();
        if (dropped == reported || (raised && nowNanos - lastRaisedNanos < intervalNanos)) {
            return;
        }
        long count = dropped - reported;
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("dropped", count);
        evidence.put("dropped_total", dropped);
        evidence.put("pending", spool.pending());
        evidence.put("max_alerts", spool.limits().maxAlerts());
        evidence.put("max_age", Durations.format(spool.limits().maxAge()));
        sink.accept(alerts.create(new AlertFactory.Finding(RULE, "Agent spool dropped alerts", Severity.HIGH,
                Category.AGENT, AlertState.FIRING, null, null, null, List.of(), evidence,
                count + " alerts were dropped from the agent's spool (oldest first) because no collector "
                        + "acknowledged them within its limits of " + spool.limits().maxAlerts() + " alerts and "
                        + Durations.format(spool.limits().maxAge())), System.currentTimeMillis() * 1_000_000L));
        reported = dropped;
        lastRaisedNanos = nowNanos;
        raised = true;
    }
}
