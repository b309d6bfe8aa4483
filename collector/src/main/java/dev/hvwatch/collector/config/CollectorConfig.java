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
 * journal:
 *   path: /var/lib/hvwatch/alerts.jsonl   # where journaled alerts go, one JSON line each
 * maxFrameBytes: 1048576         # largest frame accepted from an agent, 64 bytes to 64 MiB
 * idleTimeout: 60s               # close a connection silent this long (ms, s, m, h); agents send heartbeats
 * </pre>
 */
public record CollectorConfig(
        @JsonDeserialize(using = ListenAddressDeserializer.class) InetSocketAddress listen,
        @JsonProperty(required = true) Tls tls,
        Journal journal,
        Integer maxFrameBytes,
        Duration idleTimeout) {

    public static final InetSocketAddress DEFAULT_LISTEN =
            InetSocketAddress.createUnresolved("127.0.0.1", IngestServer.DEFAULT_PORT);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    private static final int MIN_FRAME_BYTES = 64;
    private static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;

    public CollectorConfig {
        listen = listen != null ? listen : DEFAULT_LISTEN;
        journal = journal != null ? journal : new Journal(null);
        maxFrameBytes = maxFrameBytes != null ? maxFrameBytes : WireFormat.DEFAULT_MAX_FRAME_BYTES;
        idleTimeout = idleTimeout != null ? idleTimeout : DEFAULT_IDLE_TIMEOUT;
        if (maxFrameBytes < MIN_FRAME_BYTES || maxFrameBytes > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("maxFrameBytes must be between " + MIN_FRAME_BYTES + " and "
                    + MAX_FRAME_BYTES + ", not " + maxFrameBytes);
        }
        if (idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be longer than 0");
        }
    }

    /** The same configuration with relative paths taken as relative to {@code dir}, the config file's directory. */
    CollectorConfig resolvedAgainst(Path dir) {
        return new CollectorConfig(listen,
                new Tls(dir.resolve(tls.cert()), dir.resolve(tls.key()), dir.resolve(tls.ca())),
                new Journal(dir.resolve(journal.path())), maxFrameBytes, idleTimeout);
    }

    public record Tls(
            @JsonProperty(required = true) Path cert,
            @JsonProperty(required = true) Path key,
            @JsonProperty(required = true) Path ca) {

        public TlsFiles files() {
            return new TlsFiles(cert, key, ca);
        }
    }

    public record Journal(Path path) {
        public static final Path DEFAULT_PATH = Path.of("/var/lib/hvwatch/alerts.jsonl");

        public Journal {
            path = path != null ? path : DEFAULT_PATH;
        }
    }
}
