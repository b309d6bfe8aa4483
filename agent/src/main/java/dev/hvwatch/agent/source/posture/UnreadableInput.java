package dev.hvwatch.agent.source.posture;

import java.nio.file.Path;

/**
 * A file a check needs that exists but cannot be read or parsed. The message names the file and what is wrong; the
 * source counts it ({@code hvwatch_source_errors_total{source="posture"}}) and skips that check for that subject,
 * so that one odd file never stops the other checks.
 */
public final class UnreadableInput extends Exception {
    public UnreadableInput(Path where, String what) {
        super(where + ": " + what);
    }

    public UnreadableInput(Path where, String what, Throwable cause) {
        super(where + ": " + what, cause);
    }
}
