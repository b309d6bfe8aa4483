package dev.hvwatch.collector.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.hvwatch.collector.ingest.IngestServer;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.WireFormat;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The collector's configuration file, {@code collector.yaml}. Keys and defaults:
 * <pre>
 * listen: 127.0.0.1:7847         # host:port to accept agents on ([v6]:port for IPv6); port 0 picks a free one
 * tls:                           # required; PEM files, relative paths are relative to this file
 *   cert: collector.pem          # required: the collector's certificate chain
 *   key: collector-key.pem       # required: its PKCS#8 private key
 *   ca: ca.pem                   # required: the CA that signs agent certificates
 *   crl: crl.pem                 # optional: agent certificates revoked by that CA
 *   reloadInterval: 10s          # how often the four files are checked; changed files apply to new connections
 * journal:
 *   dir: /var/lib/hvwatch/journal   # the durable alert journal (Chronicle Queue), one file per day
 *   sync: false                  # force each batch to the disk before acknowledging it (survives power loss)
 * outputs:
 *   jsonl:
 *     path: /var/lib/hvwatch/alerts.jsonl   # optional: copy the journal to a file of JSON lines
 * metrics:
 *   listen: 127.0.0.1:9848       # Prometheus endpoint, GET /metrics
 * maxFrameBytes: 1048576         # largest frame accepted from an agent, 64 bytes to 64 MiB
 * idleTimeout: 60s               # close a connection silent this long (ms, s, m, h); agents send heartbeats
 * </pre>
 */
public record CollectorConfig(
        @JsonDeserialize(using = ListenAddressDeserializer.class) InetSocketAddress listen,
        @JsonProperty(required = true) Tls tls,
        Journal journal,
        Outputs outputs,
        Metrics metrics,
        Integer maxFrameBytes,
        Duration idleTimeout) {

    public static final InetSocketAddress DEFAULT_LISTEN =
            InetSocketAddress.createUnresolved("127.0.0.1", IngestServer.DEFAULT_PORT);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    private static final int MIN_FRAME_BYTES = 64;
    private static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;

    public CollectorConfig {
        listen = listen != null ? listen : DEFAULT_LISTEN;
        journal = journal != null ? journal : new Journal(null, null);
        outputs = outputs != null ? outputs : new Outputs(null);
        metrics = metrics != null ? metrics : new Metrics(null);
        maxFrameBytes = maxFrameBytes != null ? maxFrameBytes : WireFormat.DEFAULT_MAX_FRAME_BYTES;
        idleTimeout = idleTimeout != null ? idleTimeout : DEFAULT_IDLE_TIMEOUT;
        if (maxFrameBytes < MIN_FRAME_BYTES || maxFrameBytes > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("maxFrameBytes must be between " + MIN_FRAME_BYTES + " and "
                    + MAX_FRAME_BYTES + ", not " + maxFrameBytes);
        }
        if (idleTimeout.isZero() || idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must be longer than 0");
        }
    }

    /**
     * A collector on {@code listen} with the given TLS files and journal directory, copying the journal to
     * {@code jsonLines} when that is not null, and defaults for everything else (metrics on a free loopback port).
     */
    public static CollectorConfig of(InetSocketAddress listen, TlsFiles tls, Path journalDir, Path jsonLines) {
        return new CollectorConfig(listen, new Tls(tls.cert(), tls.key(), tls.ca(), null, null),
                new Journal(journalDir, null), new Outputs(jsonLines == null ? null : new JsonLines(jsonLines)),
                new Metrics(InetSocketAddress.createUnresolved("127.0.0.1", 0)), null, null);
    }

    /** The same configuration with relative paths taken as relative to {@code dir}, the config file's directory. */
    CollectorConfig resolvedAgainst(Path dir) {
        JsonLines jsonl = outputs.jsonl() == null ? null : new JsonLines(dir.resolve(outputs.jsonl().path()));
        return new CollectorConfig(listen,
                new Tls(dir.resolve(tls.cert()), dir.resolve(tls.key()), dir.resolve(tls.ca()),
                        tls.crl() == null ? null : dir.resolve(tls.crl()), tls.reloadInterval()),
                new Journal(dir.resolve(journal.dir()), journal.sync()), new Outputs(jsonl), metrics, maxFrameBytes,
                idleTimeout);
    }

    public record Tls(
            @JsonProperty(required = true) Path cert,
            @JsonProperty(required = true) Path key,
            @JsonProperty(required = true) Path ca,
            Path crl,
            Duration reloadInterval) {

        public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(10);

        public Tls {
            reloadInterval = reloadInterval != null ? reloadInterval : DEFAULT_RELOAD_INTERVAL;
            if (reloadInterval.isZero() || reloadInterval.isNegative()) {
                throw new IllegalArgumentException("tls.reloadInterval must be longer than 0");
            }
        }

        public TlsFiles files() {
            return new TlsFiles(cert, key, ca);
        }
    }

    public record Journal(Path dir, Boolean sync) {
        public static final Path DEFAULT_DIR = Path.of("/var/lib/hvwatch/journal");

        public Journal {
            dir = dir != null ? dir : DEFAULT_DIR;
            sync = sync != null ? sync : Boolean.FALSE;
        }
    }

    /** Where journaled alerts are copied to; each output reads the journal with its own cursor. */
    public record Outputs(JsonLines jsonl) {
    }

    public record JsonLines(@JsonProperty(required = true) Path path) {
    }

    public record Metrics(@JsonDeserialize(using = ListenAddressDeserializer.class) InetSocketAddress listen) {
        public static final InetSocketAddress DEFAULT_LISTEN = InetSocketAddress.createUnresolved("127.0.0.1", 9848);

        public Metrics {
            listen = listen != null ? listen : DEFAULT_LISTEN;
        }
    }
}
