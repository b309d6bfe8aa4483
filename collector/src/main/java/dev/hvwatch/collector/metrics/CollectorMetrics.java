package dev.hvwatch.collector.metrics;

import dev.hvwatch.collector.ingest.IngestStats;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.tls.ServerTls;
import dev.hvwatch.protocol.wire.ProtocolException;
import dev.hvwatch.protocol.wire.RefusalReason;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * The collector's Prometheus series, {@code hvwatch_collector_*}: every connection refused or closed and every alert
 * journaled or skipped is counted here, by reason. The figures live in {@link IngestStats} and {@link ServerTls};
 * the registry reads them at scrape time.
 */
public final class CollectorMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /** @param more further series, such as the outputs' */
    public CollectorMetrics(IngestStats stats, ServerTls tls, AlertJournal journal, MeterBinder... more) {
        counter("hvwatch.collector.connections", "TLS connections accepted from agents", stats,
                IngestStats::connectionsAccepted);
        Gauge.builder("hvwatch.collector.connections.open", stats, IngestStats::connectionsOpen)
                .description("Agent connections open now").register(registry);
        for (IngestStats.HandshakeFailure reason : IngestStats.HandshakeFailure.values()) {
            FunctionCounter.builder("hvwatch.collector.handshake.failures", stats, s -> s.handshakesFailed(reason))
                    .description("TLS handshakes refused, by reason; the connection was closed")
                    .tag("reason", reason.label())
                    .register(registry);
        }
        for (ProtocolException.Reason reason : ProtocolException.Reason.values()) {
            FunctionCounter.builder("hvwatch.collector.frames.rejected", stats, s -> s.framesRejected(reason))
                    .description("Frames refused, by reason; the connection was closed")
                    .tag("reason", reason.label())
                    .register(registry);
        }
        for (RefusalReason reason : IngestStats.CONNECTION_REFUSALS) {
            FunctionCounter.builder("hvwatch.collector.connections.refused", stats, s -> s.connectionsRefused(reason))
                    .description("Connections refused, by reason, the agent told why: duplicate_connection, "
                            + "journal_unavailable, overloaded, frame_timeout")
                    .tag("reason", reason.label())
                    .register(registry);
        }
        counter("hvwatch.collector.idle.timeouts", "Connections closed after the idle timeout without a frame",
                stats, IngestStats::idleTimeouts);
        counter("hvwatch.collector.revoked.connections.closed", "Open connections closed because a reloaded "
                + "revocation list names their certificate", stats, IngestStats::revokedConnectionsClosed);
        counter("hvwatch.collector.alerts.journaled", "Alerts written to the journal", stats,
                IngestStats::alertsJournaled);
        counter("hvwatch.collector.alerts.duplicate", "Alerts received again and skipped: their (agent, seq) was "
                + "journaled already", stats, IngestStats::duplicatesSkipped);
        counter("hvwatch.collector.journal.failures", "Batches the journal could not take; the agent resends them",
                stats, IngestStats::journalFailures);
        counter("hvwatch.collector.alerts.refused", "Alerts received that the journal could not take; not "
                + "acknowledged, so the agent keeps and resends them", stats, IngestStats::alertsRefused);
        Gauge.builder("hvwatch.collector.journal.writable", journal, j -> j.unavailableReason() == null ? 1 : 0)
                .description("1 while the journal takes alerts; 0 while it cannot (not open, disk below "
                        + "journal.minFreeBytes, a write faulted): /readyz says why, ingest refuses batches")
                .register(registry);
        Gauge.builder("hvwatch.collector.journal.unreadable.entries", journal, AlertJournal::unreadableEntries)
                .description("Journal entries found that cannot be read (a damaged journal); skipped by recovery "
                        + "and readers, each counted once")
                .register(registry);
        counter("hvwatch.collector.tls.reloads", "Changed TLS files (certificate, key, CA, revocation list) "
                + "loaded without a restart", tls, ServerTls::reloads);
        counter("hvwatch.collector.tls.reload.failures", "Changed TLS files refused; the previous ones stayed in "
                + "force", tls, ServerTls::reloadFailures);
        for (MeterBinder binder : more) {
            binder.bindTo(registry);
        }
    }

    private <T> void counter(String name, String help, T owner, ToDoubleFunction<T> count) {
        FunctionCounter.builder(name, owner, count).description(help).register(registry);
    }

    /** Where the API registers its own series, and whose text exposition {@code /metrics} serves. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }
}
