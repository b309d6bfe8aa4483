package dev.hvwatch.agent.source.discovery;

import java.util.HashSet;
import java.util.Set;

/** One round's process events, by process (thread-group id): what discovery must look at again. */
public final class ProcessEventBatch {
    private final Set<Long> ended = new HashSet<>();
    private final Set<Long> execed = new HashSet<>();
    private final Set<Long> threadsChanged = new HashSet<>();

    /** The process ended (its main thread exited). */
    public void ended(long process) {
        ended.add(process);
    }

    /** The process started a new program. */
    public void execed(long process) {
        execed.add(process);
    }

    /** One of the process's threads ended or was renamed (QEMU names a vCPU thread once it runs). */
    public void threadsChanged(long process) {
        threadsChanged.add(process);
    }

    Set<Long> ended() {
        return ended;
    }

    Set<Long> execed() {
        return execed;
    }

    Set<Long> threadsChanged() {
        return threadsChanged;
    }

    void clear() {
        ended.clear();
        execed.clear();
        threadsChanged.clear();
    }
}
