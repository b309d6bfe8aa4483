package dev.hvwatch.agent.source.perf;

import java.io.IOException;

/** The kernel refused a perf event, for a reason other than permission ({@link PerfAccessException}). */
public final class PerfEventException extends IOException {
    private final int errno;

    public PerfEventException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    /** The errno of the call that failed, such as ENOENT or EINVAL. */
    public int errno() {
        return errno;
    }
}
