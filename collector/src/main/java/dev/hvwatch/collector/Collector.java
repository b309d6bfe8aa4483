package dev.hvwatch.collector;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.ingest.IngestServer;
import dev.hvwatch.collector.ingest.IngestStats;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.metrics.CollectorMetrics;
import dev.hvwatch.collector.metrics.MetricsEndpoint;
import dev.hvwatch.collector.output.Outputs;
import dev.hvwatch.collector.tls.ServerTls;
import dev.hvwatch.protocol.Alert;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector, wired in data-path order: TLS material, journal, the outputs that read it, the ingest server that
 * feeds it, and the metrics endpoint that counts all of it.
 */
public final class Collector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Collector.class);

    private final CollectorConfig config;
    private final Consumer<Alert> onJournaled;
    private final IngestStats stats = new IngestStats();
    private AlertJournal journal;
    private Outputs outputs;
    private IngestServer server;
    private MetricsEndpoint metrics;
    private ScheduledExecutorService tlsReloader;

    public Collector(CollectorConfig config) {
        this(config, alert -> { });
    }

    /** @param onJournaled sees every alert once it is journaled, e.g. to print alerts as they arrive */
    public Collector(CollectorConfig config, Consumer<Alert> onJournaled) {
        this.config = config;
        this.onJournaled = onJournaled;
    }

    /** Opens the journal, starts the outputs, accepts agents and returns the bound ingest port. */
    public int start() throws IOException {
        ServerTls tls;
        try {
            tls = ServerTls.load(config.tls());
        } catch (GeneralSecurityException e) {
            throw new IOException("tls: " + e.getMessage(), e);
        }
        try {
            journal = AlertJournal.open(config.journal().dir(), config.journal().sync(), onJournaled);
            outputs = Outputs.start(journal, config.outputs());
            server = new IngestServer(config.listen(), tls, journal, config.maxFrameBytes(), config.idleTimeout(),
                    stats);
            int port = server.start().getPort();
            metrics = MetricsEndpoint.start(config.metrics().listen(),
                    new CollectorMetrics(stats, tls, outputs)::scrape);
            tlsReloader = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("tls-reload", true));
            long every = config.tls().reloadInterval().toMillis();
            tlsReloader.scheduleWithFixedDelay(() -> {
                if (tls.reloadIfChanged()) {
                    server.closeRevokedConnections();
                }
            }, every, every, TimeUnit.MILLISECONDS);
            log.info("collector listening on {}:{}, journal {}, metrics on http://{}:{}/metrics",
                    config.listen().getHostString(), port, journal.dir(), metrics.address().getHostString(),
                    metrics.address().getPort());
            return port;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    public IngestStats stats() {
        return stats;
    }

    public InetSocketAddress metricsAddress() {
        return metrics.address();
    }

    public Outputs outputs() {
        return outputs;
    }

    /** The highest seq journaled for the agent with this certificate identity. */
    public long lastJournaledSeq(String agent) {
        return journal.lastSeq(agent);
    }

    @Override
    public void close() throws IOException {
        if (tlsReloader != null) {
            tlsReloader.shutdownNow();
        }
        if (server != null) {
            server.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        if (outputs != null) {
            outputs.close();
        }
        if (journal != null) {
            journal.close();
        }
    }
}
