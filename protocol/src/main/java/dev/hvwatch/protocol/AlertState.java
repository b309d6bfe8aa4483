package dev.hvwatch.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** An alert is raised as {@code firing} and later closed by a {@code resolved} alert with the same rule and subject. */
public enum AlertState {
    FIRING, RESOLVED;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
