package dev.hvwatch.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What kind of harm an alert is about. */
public enum Category {
    ISOLATION, STARVATION, POSTURE, INTEGRITY, AGENT;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
