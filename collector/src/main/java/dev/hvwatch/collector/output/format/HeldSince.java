package dev.hvwatch.collector.output.format;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertTime;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** When a firing alert's condition began to hold: the agent's {@code evidence.held_since}, for the formats' start times. */
final class HeldSince {
    private HeldSince() {
    }

    /** Null when the alert has none or it is not a time (an agent's text, so not trusted). */
    static Instant of(Alert alert) {
        if (alert.evidence() == null || !(alert.evidence().get("held_since") instanceof String text)) {
            return null;
        }
        try {
            return AlertTime.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
