package dev.hvwatch.agent.alert;

import dev.hvwatch.protocol.Alert;

/** Where the rule engine hands finished alerts: to the spool, the alert counters, the log. Must not block. */
@FunctionalInterface
public interface AlertSink {
    void accept(Alert alert);
}
