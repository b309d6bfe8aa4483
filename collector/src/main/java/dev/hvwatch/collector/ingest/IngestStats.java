package dev.hvwatch.collector.ingest;

import dev.hvwatch.protocol.wire.ProtocolException;
import dev.hvwatch.protocol.wire.RefusalReason;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Set;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** What ingest has seen since start; exported as {@code hvwatch_collector_*} metrics and read by tests. */
public final class IngestStats {

    /** Why a TLS handshake failed; {@link #label()} is the value of the {@code reason} metric label. */
    public enum HandshakeFailure {
        /** The client certificate is on the revocation list. */
        REVOKED,
        /** The client certificate does not chain to the CA, has expired, or is not for client authentication. */
        UNTRUSTED,
        /** The client presented no certificate. */
        NO_CERTIFICATE,
        /** The certificate was accepted but does not carry exactly one CN, the host identity. */
        NO_IDENTITY,
        /** Anything else: not TLS at all, no common protocol version or cipher, a reset mid-handshake. */
        OTHER;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Refusals of a connection rather than of a frame, counted by {@link #connectionsRefused(RefusalReason)}. */
    public static final Set<RefusalReason> CONNECTION_REFUSALS = Collections.unmodifiableSet(EnumSet.of(
            RefusalReason.DUPLICATE_CONNECTION, RefusalReason.JOURNAL_UNAVAILABLE, RefusalReason.OVERLOADED,
            RefusalReason.FRAME_TIMEOUT));

    private final AtomicLong connectionsAccepted = new AtomicLong();
    private final AtomicLong alertsRefused = new AtomicLong();
    private final Map<RefusalReason, AtomicLong> connectionsRefused = counters(RefusalReason.class);
    private final AtomicLong connectionsOpen = new AtomicLong();
    private final AtomicLong idleTimeouts = new AtomicLong();
    private final AtomicLong alertsJournaled = new AtomicLong();
    private final AtomicLong duplicatesSkipped = new AtomicLong();
    private final AtomicLong journalFailures = new AtomicLong();
    private final AtomicLong revokedConnectionsClosed = new AtomicLong();
    private final Map<HandshakeFailure, AtomicLong> handshakesFailed = counters(HandshakeFailure.class);
    private final Map<ProtocolException.Reason, AtomicLong> framesRejected = counters(ProtocolException.Reason.class);

    public long connectionsAccepted() {
        return connectionsAccepted.get();
    }

    public long connectionsOpen() {
        return connectionsOpen.get();
    }

    public long handshakesFailed(HandshakeFailure reason) {
        return handshakesFailed.get(reason).get();
    }

    public long handshakesFailed() {
        return handshakesFailed.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** Connections closed because the agent sent nothing, not even a heartbeat, for the idle timeout. */
    public long idleTimeouts() {
        return idleTimeouts.get();
    }

    public long alertsJournaled() {
        return alertsJournaled.get();
    }

    /** Alerts received again after a lost ACK or a reconnect and skipped: they were journaled already. */
    public long duplicatesSkipped() {
        return duplicatesSkipped.get();
    }

    /** Batches the journal could not take; their connection was closed so that the agent sends them again. */
    public long journalFailures() {
        return journalFailures.get();
    }

    /**
     * Connections refused for {@code reason}, one of {@link #CONNECTION_REFUSALS}: the agent was told why and the
     * connection closed. Frames refused for breaking the protocol are {@link #framesRejected}.
     */
    public long connectionsRefused(RefusalReason reason) {
        return connectionsRefused.get(reason).get();
    }

    /** Alerts received but not journaled (the journal could not take them); not acknowledged, so resent. */
    public long alertsRefused() {
        return alertsRefused.get();
    }

    /** Open connections closed because a reloaded revocation list names their client certificate. */
    public long revokedConnectionsClosed() {
        return revokedConnectionsClosed.get();
    }

    /** Frames rejected for {@code reason}; each rejection also closed its connection. */
    public long framesRejected(ProtocolException.Reason reason) {
        return framesRejected.get(reason).get();
    }

    public long framesRejected() {
        return framesRejected.values().stream().mapToLong(AtomicLong::get).sum();
    }

    void connectionOpened() {
        connectionsAccepted.incrementAndGet();
        connectionsOpen.incrementAndGet();
    }

    void connectionClosed() {
        connectionsOpen.decrementAndGet();
    }

    void handshakeFailed(HandshakeFailure reason) {
        handshakesFailed.get(reason).incrementAndGet();
    }

    void idleTimeout() {
        idleTimeouts.incrementAndGet();
    }

    void journaled(int written, int skipped) {
        alertsJournaled.addAndGet(written);
        duplicatesSkipped.addAndGet(skipped);
    }

    void journalFailed(int alerts) {
        journalFailures.incrementAndGet();
        alertsRefused.addAndGet(alerts);
    }

    void connectionRefused(RefusalReason reason) {
        connectionsRefused.get(reason).incrementAndGet();
    }

    void revokedConnectionClosed() {
        revokedConnectionsClosed.incrementAndGet();
    }

    void frameRejected(ProtocolException.Reason reason) {
        framesRejected.get(reason).incrementAndGet();
    }

    private static <E extends Enum<E>> Map<E, AtomicLong> counters(Class<E> type) {
        Map<E, AtomicLong> counters = new EnumMap<>(type);
        for (E key : type.getEnumConstants()) {
            counters.put(key, new AtomicLong());
        }
        return Collections.unmodifiableMap(counters);
    }
}
