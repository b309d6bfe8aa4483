package dev.hvwatch.collector.output;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * Where an output delivers: a file, a syslog receiver, a Kafka topic, a webhook. Called from the output's one thread
 * only. A transport reconnects by itself on the next call after a failure.
 */
public interface Transport extends Closeable {

    /**
     * Delivers a batch, in order, and returns once the destination holds it as far as this transport can know; or
     * throws, and then the whole batch is delivered again later (receivers deduplicate by (agent, seq)).
     */
    void deliver(List<Formatted> batch) throws IOException;

    /**
     * The part of the first batch after a start that the destination does not hold yet. A transport that can see
     * what it delivered before a crash lost the cursor's commit (a file can) drops it here; others deliver it again.
     */
    default List<Formatted> notYetDelivered(List<Formatted> firstBatch) throws IOException {
        return firstBatch;
    }
}
