package dev.hvwatch.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.UncheckedIOException;

/** The one place that turns alerts into canonical JSON and back, so every stage writes the same bytes. */
public final class AlertJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private AlertJson() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** One line of canonical JSON, without the trailing newline. */
    public static String toLine(Alert alert) {
        try {
            return MAPPER.writeValueAsString(alert);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("alert " + alert.id() + " cannot be serialised", e);
        }
    }

    public static byte[] toBytes(Alert alert) {
        try {
            return MAPPER.writeValueAsBytes(alert);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("alert " + alert.id() + " cannot be serialised", e);
        }
    }

    /** Parses one canonical alert; a malformed document raises an exception naming what was wrong. */
    public static Alert parse(String line) {
        try {
            return MAPPER.readValue(line, Alert.class);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("not a canonical alert: " + e.getOriginalMessage(), e);
        }
    }
}
