package dev.hvwatch.agent.config;

/** A configuration the agent refuses; the message names the file, line and key. Exit code 2. */
public final class ConfigException extends Exception {
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
