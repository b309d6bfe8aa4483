package dev.hvwatch.collector;

import dev.hvwatch.collector.api.ApiServer;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.ingest.IngestServer;
import dev.hvwatch.collector.ingest.IngestStats;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.metrics.CollectorMetrics;
import dev.hvwatch.collector.output.Outputs;
import dev.hvwatch.collector.tls.ServerTls;
import dev.hvwatch.protocol.Alert;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector, wired in data-path order: TLS material, journal, the outputs that read it, the HTTP API that
 * queries, streams and counts it, and the ingest server that feeds it.
 */
public final class Collector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Collector.class);
    /** How often a journal that could not open (a full disk) is tried again. */
    private static final long JOURNAL_RETRY_MILLIS = 2000;

    private final CollectorConfig config;
    private final Consumer<Alert> onJournaled;
    private final IngestStats stats = new IngestStats();
    private AlertJournal journal;
    private Outputs outputs;
    private IngestServer server;
    private volatile ApiServer api;
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
            journal = AlertJournal.open(config.journal().dir(), config.journal().sync(),
                    config.journal().minFreeBytes(), this::journaled);
            outputs = Outputs.start(journal, config.outputs());
            server = new IngestServer(config, tls, journal, stats);
            api = ApiServer.start(config.api(), journal, new CollectorMetrics(stats, tls, journal, outputs, server)
                    .registry(), this::notReady);
            int port = server.start().getPort();
            tlsReloader = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("tls-reload", true));
            long every = config.tls().reloadInterval().toMillis();
            tlsReloader.scheduleWithFixedDelay(() -> {
                if (tls.reloadIfChanged()) {
                    server.closeRevokedConnections();
                }
                api.reloadTokensIfChanged();
            }, every, every, TimeUnit.MILLISECONDS);
            tlsReloader.scheduleWithFixedDelay(this::retryJournal, JOURNAL_RETRY_MILLIS, JOURNAL_RETRY_MILLIS,
                    TimeUnit.MILLISECONDS);
            if (config.api().tls() != null) {
                long apiEvery = config.api().tls().reloadInterval().toMillis();
                tlsReloader.scheduleWithFixedDelay(api::reloadTlsIfChanged, apiEvery, apiEvery, TimeUnit.MILLISECONDS);
            }
            log.info("collector listening on {}:{}, journal {}, HTTP API on {}://{}:{}",
                    config.listen().getHostString(), port, journal.dir(), config.api().tls() == null ? "http" : "https",
                    api.address().getHostString(), api.address().getPort());
            return port;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    public IngestStats stats() {
        return stats;
    }

    /** Where the HTTP API (metrics, health, alerts) listens. */
    public InetSocketAddress apiAddress() {
        return api.address();
    }

    public Outputs outputs() {
        return outputs;
    }

    /** The highest seq journaled for the agent with this certificate identity. */
    public long lastJournaledSeq(String agent) {
        return journal.lastSeq(agent);
    }

    private void journaled(Alert alert) {
        onJournaled.accept(alert);
        ApiServer listening = api;
        if (listening != null) {
            listening.journaled();
        }
    }

    /** What keeps the collector from taking alerts now; /readyz answers 503 with it. */
    private List<String> notReady() {
        List<String> problems = new ArrayList<>();
        if (server == null || !server.isListening()) {
            problems.add("ingest is not listening");
        }
        String journalProblem = journal == null ? "not open" : journal.unavailableReason();
        if (journalProblem != null) {
            problems.add("the journal takes no alerts: " + journalProblem);
        } else if (!journal.isOpen()) {
            problems.add("the journal is not open");
        }
        return problems;
    }

    /** Opens a journal that could not open, or lets one that refused for lack of room take alerts again. */
    private void retryJournal() {
        try {
            journal.tryOpen();
        } catch (IOException | RuntimeException e) {
            log.error("journal {} cannot be opened: {}", journal.dir(), e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        if (tlsReloader != null) {
            tlsReloader.shutdownNow();
        }
        if (server != null) {
            server.close();
        }
        if (api != null) {
            api.close();
        }
        if (outputs != null) {
            outputs.close();
        }
        if (journal != null) {
            journal.close();
        }
    }
}
