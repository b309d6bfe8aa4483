package dev.hvwatch.collector.ingest;

import dev.hvwatch.protocol.wire.ProtocolException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** What ingest has seen since start; read by tests and, later, by the metrics exporter. */
public final class IngestStats {
    private final AtomicLong connectionsAccepted = new AtomicLong();
    private final AtomicLong handshakesFailed = new AtomicLong();
    private final AtomicLong idleTimeouts = new AtomicLong();
    private final AtomicLong alertsJournaled = new AtomicLong();
    private final AtomicLong duplicatesSkipped = new AtomicLong();
    private final Map<ProtocolException.Reason, AtomicLong> framesRejected;

    public IngestStats() {
        Map<ProtocolException.Reason, AtomicLong> rejected = new EnumMap<>(ProtocolException.Reason.class);
        for (ProtocolException.Reason reason : ProtocolException.Reason.values()) {
            rejected.put(reason, new AtomicLong());
        }
        framesRejected = Collections.unmodifiableMap(rejected);
    }

    public long connectionsAccepted() {
        return connectionsAccepted.get();
    }

    public long handshakesFailed() {
        return handshakesFailed.get();
    }

    /** Connections closed because the agent sent nothing, not even a heartbeat, for the idle timeout. */
    public long idleTimeouts() {
        return idleTimeouts.get();
    }

    public long alertsJournaled() {
        return alertsJournaled.get();
    }

    public long duplicatesSkipped() {
        return duplicatesSkipped.get();
    }

    /** Frames rejected for {@code reason}; each rejection also closed its connection. */
    public long framesRejected(ProtocolException.Reason reason) {
        return framesRejected.get(reason).get();
    }

    public long framesRejected() {
        return framesRejected.values().stream().mapToLong(AtomicLong::get).sum();
    }

    void connectionAccepted() {
        connectionsAccepted.incrementAndGet();
    }

    void handshakeFailed() {
        handshakesFailed.incrementAndGet();
    }

    void idleTimeout() {
        idleTimeouts.incrementAndGet();
    }

    void journaled(int written, int skipped) {
        alertsJournaled.addAndGet(written);
        duplicatesSkipped.addAndGet(skipped);
    }

    void frameRejected(ProtocolException.Reason reason) {
        framesRejected.get(reason).incrementAndGet();
    }
}
