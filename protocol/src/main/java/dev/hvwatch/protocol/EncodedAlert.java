package dev.hvwatch.protocol;

import java.util.Objects;

/**
 * An alert together with its canonical JSON, so that a stage which holds both (a spool record, a decoded frame)
 * never serialises the alert again. Two encoded alerts are equal when their alerts are.
 */
public record EncodedAlert(Alert alert, byte[] json) {
    public EncodedAlert {
        Objects.requireNonNull(alert, "alert");
        Objects.requireNonNull(json, "json");
    }

    public static EncodedAlert of(Alert alert) {
        return new EncodedAlert(alert, AlertJson.toBytes(alert));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof EncodedAlert encoded && alert.equals(encoded.alert);
    }

    @Override
    public int hashCode() {
        return alert.hashCode();
    }

    @Override
    public String toString() {
        return "EncodedAlert[" + alert + "]";
    }
}
