package dev.hvwatch.collector;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.ingest.IngestServer;
import dev.hvwatch.collector.ingest.IngestStats;
import dev.hvwatch.collector.journal.JsonLinesJournal;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.tls.TlsContexts;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The collector, wired: journal first, then the ingest server that feeds it. */
public final class Collector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Collector.class);

    private final CollectorConfig config;
    private final Consumer<Alert> onJournaled;
    private final IngestStats stats = new IngestStats();
    private JsonLinesJournal journal;
    private IngestServer server;

    public Collector(CollectorConfig config) {
        this(config, alert -> { });
    }

    /** @param onJournaled sees every alert once it is on disk, e.g. to print alerts as they arrive */
    public Collector(CollectorConfig config, Consumer<Alert> onJournaled) {
        this.config = config;
        this.onJournaled = onJournaled;
    }

    /** Opens the journal, starts accepting agents and returns the bound port. */
    public int start() throws IOException {
        SslContext tls = TlsContexts.server(config.tls().files());
        journal = JsonLinesJournal.open(config.journal().path(), onJournaled);
        server = new IngestServer(config.listen(), tls, journal, config.maxFrameBytes(), config.idleTimeout(), stats);
        try {
            int port = server.start().getPort();
            log.info("collector listening on {}:{}, journal {}", config.listen().getHostString(), port, journal.file());
            return port;
        } catch (IOException e) {
            journal.close();
            throw e;
        }
    }

    public IngestStats stats() {
        return stats;
    }

    /** The highest seq journaled for the agent with this certificate identity. */
    public long lastJournaledSeq(String agent) {
        return journal.lastSeq(agent);
    }

    @Override
    public void close() throws IOException {
        if (server != null) {
            server.close();
        }
        if (journal != null) {
            journal.close();
        }
    }
}
