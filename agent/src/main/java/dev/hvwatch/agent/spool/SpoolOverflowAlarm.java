package dev.hvwatch.agent.spool;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Raises {@value #RULE} (category {@code agent}) when the spool has dropped alerts: the SOC must learn that alerts
 * are missing, not only the metrics. At most one per {@code interval}, reporting every drop since the previous one,
 * so that a long outage yields a handful of alerts rather than a flood that would itself be discarded.
 */
public final class SpoolOverflowAlarm {
    public static final String RULE = "agent-spool-overflow";

    private final Spool spool;
    private final AlertFactory alerts;
    /** Spools an alert (and counts and logs it like any other); its seq, or 0 when it was not spooled. */
    private final ToLongFunction<Alert> offer;
    private final long intervalNanos;
    private long reported;
    private long reportedUnwritten;
    private long reportedUnreadable;
    private long lastRaisedNanos;
    private boolean raised;

    public SpoolOverflowAlarm(Spool spool, AlertFactory alerts, ToLongFunction<Alert> offer, Duration interval) {
        this.spool = spool;
        this.alerts = alerts;
        this.offer = offer;
        this.intervalNanos = interval.toNanos();
    }

    /**
     * Raises the alert if alerts were dropped since the last one and the interval has passed, once the spool has
     * room for it: raised while the disk is full, it would only be lost itself, and the drops it reports with it.
     */
    void raiseIfDue(long nowNanos) {
        long dropped = spool.dropped();
        if (dropped == reported || (raised && nowNanos - lastRaisedNanos < intervalNanos) || !spool.hasRoom()) {
            return;
        }
        long count = dropped - reported;
        long unwritten = spool.unwritten() - reportedUnwritten;
        long unreadable = spool.unreadable() - reportedUnreadable;
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("dropped", count);
        evidence.put("dropped_total", dropped);
        evidence.put("not_written", unwritten);
        evidence.put("unreadable", unreadable);
        evidence.put("pending", spool.pending());
        evidence.put("max_alerts", spool.limits().maxAlerts());
        evidence.put("max_age", Durations.format(spool.limits().maxAge()));
        long seq = offer.applyAsLong(alerts.create(new AlertFactory.Draft(RULE, "Agent spool dropped alerts",
                Severity.HIGH, Category.AGENT, AlertState.FIRING, null, null, null, List.of(), evidence,
                message(count, unwritten, unreadable)), System.currentTimeMillis() * 1_000_000L));
        if (seq <= 0) {
            return; // not spooled after all: its drops are reported by the next one
        }
        reported = dropped;
        reportedUnwritten += unwritten;
        reportedUnreadable += unreadable;
        lastRaisedNanos = nowNanos;
        raised = true;
    }

    private String message(long count, long unwritten, long unreadable) {
        List<String> why = new ArrayList<>();
        long discarded = count - unwritten - unreadable;
        if (discarded > 0) {
            why.add(discarded + " dropped oldest first because no collector acknowledged them within the spool's "
                    + "limits of " + spool.limits().maxAlerts() + " alerts and "
                    + Durations.format(spool.limits().maxAge()));
        }
        if (unwritten > 0) {
            why.add(unwritten + " not written because the spool's disk was full");
        }
        if (unreadable > 0) {
            why.add(unreadable + " unreadable in the spool");
        }
        return count + " alerts were lost by the agent's spool: " + String.join("; ", why);
    }
}
