package dev.hvwatch.agent.source.tracepoint;

import java.io.IOException;

/** A tracefs {@code id} or {@code format} file hvwatch cannot read; the message names the file and what is wrong. */
public final class TracepointFormatException extends IOException {
    public TracepointFormatException(String message) {
        super(message);
    }
}
