package dev.hvwatch.agent.source.perf;

import java.io.IOException;

/**
 * The kernel refused to let the agent count a thread's events at all (EACCES or EPERM). Nothing a later round does
 * would change that, so the source goes down with this message rather than counting one failure per thread.
 */
public final class PerfAccessException extends IOException {
    public PerfAccessException(String message) {
        super(message);
    }
}
