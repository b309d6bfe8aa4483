package dev.hvwatch.collector.ingest;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory all agents' connections together may hold for incoming data: frames received in part, and batches
 * decoded and waiting for the journal. A connection whose next bytes would take the total past the limit is refused
 * (overloaded) rather than served at the cost of the process: one valid certificate must not be able to exhaust the
 * collector's direct memory.
 */
final class BufferBudget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    BufferBudget(long limit) {
        this.limit = limit;
    }

    /** Takes {@code bytes} if they fit under the limit; false, taking nothing, if they do not. */
    boolean tryReserve(long bytes) {
        for (long now = used.get(); ; now = used.get()) {
            if (now + bytes > limit) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Takes {@code bytes} that are in memory already, whatever the limit, so that the account stays true. */
    void reserve(long bytes) {
        used.addAndGet(bytes);
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    long used() {
        return used.get();
    }

    long limit() {
        return limit;
    }
}
