package dev.hvwatch.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Alert severity, lowest first; serialised in lower case as the alert contract requires. */
public enum Severity {
    INFO, LOW, MEDIUM, HIGH, CRITICAL;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
