package dev.hvwatch.protocol.config;

/** A configuration hvwatch refuses; the message names the file, line and key. Commands exit with code 2. */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
