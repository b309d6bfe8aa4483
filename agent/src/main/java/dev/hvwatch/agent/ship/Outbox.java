package dev.hvwatch.agent.ship;

import dev.hvwatch.protocol.Alert;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Alerts not yet acknowledged by the collector, in seq order, held in memory and bounded. This is the one class the
 * durable spool (Chronicle Queue) replaces.
 *
 * <p>{@link #offer} is called by the rule engine's thread: it never waits for room or for the network, and holds the
 * lock only to number and enqueue one alert. When the outbox is full the new alert is dropped and counted.
 */
public final class Outbox {
    private final int capacity;
    private final ArrayDeque<Alert> pending;
    private final AtomicLong dropped = new AtomicLong();
    private long lastSeq;

    public Outbox(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("outbox capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
        this.pending = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    /** Numbers the alert with the next seq and keeps it until acknowledged; false if it was dropped. */
    public synchronized boolean offer(Alert alert) {
        if (pending.size() >= capacity) {
            dropped.incrementAndGet();
            return false;
        }
        lastSeq++;
        pending.addLast(alert.withSeq(lastSeq));
        return true;
    }

    /** Up to {@code max} pending alerts with a seq above {@code seq}, oldest first. */
    public synchronized List<Alert> after(long seq, int max) {
        List<Alert> batch = new ArrayList<>(Math.min(max, pending.size()));
        for (Alert alert : pending) {
            if (batch.size() == max) {
                break;
            }
            if (alert.seq() > seq) {
                batch.add(alert);
            }
        }
        return batch;
    }

    /** Forgets every alert up to and including {@code seq}: the collector has journaled them. */
    public synchronized void acknowledge(long seq) {
        while (!pending.isEmpty() && pending.peekFirst().seq() <= seq) {
            pending.removeFirst();
        }
    }

    /**
     * Renumbers the pending alerts to follow {@code seq}. An in-memory outbox starts again from 1 when the agent
     * restarts, while the collector remembers the seqs it has journaled and would skip the new alerts as
     * duplicates; so on first contact the outbox continues the collector's numbering instead.
     */
    public synchronized void renumberAfter(long seq) {
        List<Alert> renumbered = new ArrayList<>(pending.size());
        long next = seq;
        for (Alert alert : pending) {
            renumbered.add(alert.withSeq(++next));
        }
        pending.clear();
        pending.addAll(renumbered);
        lastSeq = next;
    }

    public synchronized int size() {
        return pending.size();
    }

    /** Alerts dropped because the outbox was full. */
    public long dropped() {
        return dropped.get();
    }
}
