package dev.hvwatch.agent.source.qmp;

import java.util.concurrent.atomic.AtomicLongArray;

/** Failed QMP exchanges by reason: counted on the sampling thread, read by scrapes. */
final class QmpErrors {
    private final AtomicLongArray counts = new AtomicLongArray(QmpError.values().length);

    void count(QmpError reason) {
        counts.incrementAndGet(reason.ordinal());
    }

    long get(QmpError reason) {
        return counts.get(reason.ordinal());
    }
}
