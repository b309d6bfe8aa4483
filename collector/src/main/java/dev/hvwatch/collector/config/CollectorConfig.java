package dev.hvwatch.collector.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.hvwatch.collector.ingest.IngestServer;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.WireFormat;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.List;

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
 *   minFreeBytes: 67108864       # room the journal leaves on its file system: below it plus a batch, batches are
 *                                #   refused (journal_unavailable; agents keep them) and /readyz says why, since a
 *                                #   write into the journal's memory mapping on a full disk would fault
 * outputs:                       # none by default; each NAME reads the journal with its own cursor
 *   NAME:                        # letters, digits, . _ -: names the output's cursor and its metrics' output label
 *     type: file                 # required: file, syslog, kafka or webhook (the transport)
 *     format: json               # json (the canonical alert), ocsf (Detection Finding), cef, rfc5424 (syslog)
 *     batchSize: 500             # alerts read from the journal and delivered at once, 1 to 10000
 *     retry:                     # while the destination fails, the batch is retried after a growing delay
 *       initial: 500ms
 *       max: 30s
 *     rfc5424:                   # only with format rfc5424 (the default and only format of syslog)
 *       facility: auth           # kern, user, ..., auth, authpriv, ..., local0 to local7
 *       appName: hvwatch         # APP-NAME, at most 48 characters
 *       enterpriseId: "32473"    # the SD-ID's IANA private enterprise number: [hvwatch@32473 ...]
 *       message: text            # MSG: text (the alert's sentence), json, ocsf or cef
 *   # type file:
 *     path: /var/lib/hvwatch/alerts.jsonl   # required; one alert per line
 *     rotate:
 *       maxBytes: 0              # rotate before a write that would pass this size; 0: never
 *       maxAge: 24h              # rotate a file written to for this long; leave out for never
 *       keep: 10                 # rotated files kept (PATH.yyyyMMddTHHmmssZ), the oldest deleted first
 *   # type syslog:
 *     address: siem.example.net:6514   # required; host:port of the receiver
 *     protocol: tls              # tls (RFC 5425), tcp (octet counting) or udp (one message per datagram)
 *     tls:                       # required with tls, refused without
 *       ca: siem-ca.pem          # required: the CA that signs the receiver's certificate (checked, with its name)
 *       cert: hvwatch-syslog.pem # a client certificate and its key, for receivers that require one
 *       key: hvwatch-syslog-key.pem
 *     connectTimeout: 10s
 *   # type kafka:
 *     bootstrapServers: [kafka-1.example.net:9092]   # required
 *     topic: hvwatch-alerts      # required; records are keyed by host, headers hvwatch.agent and hvwatch.seq
 *     deliveryTimeout: 30s       # a batch not acknowledged by all in-sync replicas by then is retried
 *     properties: {}             # other producer settings (security.protocol, ssl.*, sasl.*, compression.type, ...)
 *   # type webhook:
 *     url: https://soar.example.net/hooks/hvwatch   # required; POST of a JSON array per batch (format json or ocsf)
 *     tokenFile: webhook-token   # a file holding the bearer token sent as Authorization: Bearer TOKEN
 *     ca: soar-ca.pem            # the CA of an https url, if not one the JVM trusts
 *     timeout: 10s               # per request; any answer but 2xx is retried
 * api:                           # the one HTTP listener: /metrics, /healthz, /readyz, /api/v1/alerts, /api/v1/stream
 *   listen: 127.0.0.1:9848       # host:port; port 0 picks a free one
 *   tls:                         # optional: serve HTTPS (TLS 1.3); keys and reloading as for the top-level tls
 *     cert: api.pem              #   the API's certificate chain
 *     key: api-key.pem           #   its PKCS#8 private key
 *     ca: ca.pem                 #   the CA whose client certificates may authenticate (see clientNames); a client
 *                                #   may also come without one and send a token
 *     crl: crl.pem               #   optional: client certificates revoked by that CA
 *   tokens: api-tokens           # optional: file of bearer tokens, one "NAME TOKEN" per line (# comments); NAME is
 *                                #   who holds it, for the logs; TOKEN at least 32 characters; the file must not be
 *                                #   readable by other users; re-read when it changes (checked every
 *                                #   tls.reloadInterval). Tokens are never logged.
 *   clientNames: []              # CNs of client certificates allowed in (others get 403); needs api.tls
 *   openOnLoopback: [/healthz, /readyz, /metrics]   # paths a peer on a loopback address may GET without
 *                                #   credentials; [] to require them everywhere. /api/v1 always requires them.
 *   headerTimeout: 10s           # a request must be complete (headers and all) this long after its first byte;
 *                                #   otherwise 408 and the connection closes (counted)
 *   idleTimeout: 60s             # a connection with no request under way is closed after this long
 *   stream:
 *     maxClients: 64             # live streams (/api/v1/stream) at once; more are refused with 503
 *     heartbeat: 15s             # a comment line sent to an idle stream, so proxies and clients see it alive
 *     stallTimeout: 10s          # a client that reads nothing for this long while events wait is cut off
 *                                #   (counted); it resumes without loss by sending Last-Event-ID
 * maxFrameBytes: 1048576         # largest frame accepted from an agent, 64 bytes to 64 MiB (before its HELLO: 4 KiB)
 * idleTimeout: 60s               # close a connection silent this long (ms, s, m, h); agents send heartbeats
 * frameTimeout: 30s              # close a connection that does not complete a frame this long after its first byte
 * maxBufferedBytes: 67108864     # memory for incoming frames and batches waiting for the journal, all connections
 *                                #   together (at least 4 x maxFrameBytes); a connection that would pass it is
 *                                #   refused (overloaded) and retries later
 * maxSeqGap: 100000              # the largest jump of seq accepted beyond what the journal holds for the agent, what
 *                                #   its HELLO says it resumes after, and what it sent on the connection; a larger
 *                                #   one is refused (seq_jump) instead of hiding the alerts that follow
 * </pre>
 * Relative paths anywhere in the file are relative to the file's directory.
 */
public record CollectorConfig(
        @JsonDeserialize(using = ListenAddressDeserializer.class) InetSocketAddress listen,
        @JsonProperty(required = true) Tls tls,
        Journal journal,
        Map<String, OutputConfig> outputs,
        Api api,
        Integer maxFrameBytes,
        Duration idleTimeout,
        Duration frameTimeout,
        Long maxBufferedBytes,
        Long maxSeqGap) {

    public static final InetSocketAddress DEFAULT_LISTEN =
            InetSocketAddress.createUnresolved("127.0.0.1", IngestServer.DEFAULT_PORT);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_FRAME_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_MAX_BUFFERED_BYTES = 64L * 1024 * 1024;
    public static final long DEFAULT_MAX_SEQ_GAP = 100_000;
    /** The name {@link #of} gives its JSON-lines file output. */
    public static final String JSON_LINES_OUTPUT = "jsonl";
    private static final int MIN_FRAME_BYTES = 64;
    private static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;
    private static final Pattern OUTPUT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public CollectorConfig {
        listen = listen != null ? listen : DEFAULT_LISTEN;
        journal = journal != null ? journal : new Journal(null, null, null);
        outputs = outputs != null ? Collections.unmodifiableMap(new LinkedHashMap<>(outputs)) : Map.of();
        api = api != null ? api : Api.DEFAULT;
        maxFrameBytes = maxFrameBytes != null ? maxFrameBytes : WireFormat.DEFAULT_MAX_FRAME_BYTES;
        idleTimeout = idleTimeout != null ? idleTimeout : DEFAULT_IDLE_TIMEOUT;
        frameTimeout = frameTimeout != null ? frameTimeout : DEFAULT_FRAME_TIMEOUT;
        maxBufferedBytes = maxBufferedBytes != null ? maxBufferedBytes : DEFAULT_MAX_BUFFERED_BYTES;
        maxSeqGap = maxSeqGap != null ? maxSeqGap : DEFAULT_MAX_SEQ_GAP;
        if (maxFrameBytes < MIN_FRAME_BYTES || maxFrameBytes > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("maxFrameBytes must be between " + MIN_FRAME_BYTES + " and "
                    + MAX_FRAME_BYTES + ", not " + maxFrameBytes);
        }
        if (idleTimeout.isZero() || idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must be longer than 0");
        }
        if (frameTimeout.isZero() || frameTimeout.isNegative()) {
            throw new IllegalArgumentException("frameTimeout must be longer than 0");
        }
        if (maxBufferedBytes < 4L * maxFrameBytes) {
            throw new IllegalArgumentException("maxBufferedBytes must be at least 4 x maxFrameBytes ("
                    + 4L * maxFrameBytes + "), not " + maxBufferedBytes);
        }
        if (maxSeqGap < 1) {
            throw new IllegalArgumentException("maxSeqGap must be at least 1, not " + maxSeqGap);
        }
        outputs.forEach((name, output) -> {
            if (!OUTPUT_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("outputs." + name + ": an output's name must be 1 to 64 letters, "
                        + "digits, '.', '_' or '-', starting with a letter or digit");
            }
            if (output == null) {
                throw new IllegalArgumentException("outputs." + name + " is empty: it needs at least a type");
            }
        });
    }

    /**
     * A collector on {@code listen} with the given TLS files and journal directory, copying the journal to
     * {@code jsonLines} (output {@value #JSON_LINES_OUTPUT}) when that is not null, and defaults for everything
     * else (the HTTP API on a free loopback port).
     */
    public static CollectorConfig of(InetSocketAddress listen, TlsFiles tls, Path journalDir, Path jsonLines) {
        return new CollectorConfig(listen, new Tls(tls.cert(), tls.key(), tls.ca(), null, null),
                new Journal(journalDir, null, null), jsonLines == null ? null : Map.of(JSON_LINES_OUTPUT,
                        new OutputConfig.File(null, null, null, null, jsonLines, null)),
                Api.DEFAULT.listeningOn(InetSocketAddress.createUnresolved("127.0.0.1", 0)), null, null, null, null,
                null);
    }

    /** The same configuration with other outputs. */
    public CollectorConfig withOutputs(Map<String, OutputConfig> newOutputs) {
        return new CollectorConfig(listen, tls, journal, newOutputs, api, maxFrameBytes, idleTimeout, frameTimeout,
                maxBufferedBytes, maxSeqGap);
    }

    /** The same configuration with other limits for agents' connections. */
    public CollectorConfig withIngestLimits(int newMaxFrameBytes, Duration newIdleTimeout, Duration newFrameTimeout,
            long newMaxBufferedBytes, long newMaxSeqGap) {
        return new CollectorConfig(listen, tls, journal, outputs, api, newMaxFrameBytes, newIdleTimeout,
                newFrameTimeout, newMaxBufferedBytes, newMaxSeqGap);
    }

    /** The same configuration with relative paths taken as relative to {@code dir}, the config file's directory. */
    CollectorConfig resolvedAgainst(Path dir) {
        Map<String, OutputConfig> resolvedOutputs = new LinkedHashMap<>();
        outputs.forEach((name, output) -> resolvedOutputs.put(name, output.resolvedAgainst(dir)));
        return new CollectorConfig(listen,
                tls.resolvedAgainst(dir),
                new Journal(dir.resolve(journal.dir()), journal.sync(), journal.minFreeBytes()), resolvedOutputs,
                api.resolvedAgainst(dir), maxFrameBytes, idleTimeout, frameTimeout, maxBufferedBytes, maxSeqGap);
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

        Tls resolvedAgainst(Path dir) {
            return new Tls(dir.resolve(cert), dir.resolve(key), dir.resolve(ca), crl == null ? null : dir.resolve(crl),
                    reloadInterval);
        }
    }

    public record Journal(Path dir, Boolean sync, Long minFreeBytes) {
        public static final Path DEFAULT_DIR = Path.of("/var/lib/hvwatch/journal");

        public Journal {
            dir = dir != null ? dir : DEFAULT_DIR;
            sync = sync != null ? sync : Boolean.FALSE;
            minFreeBytes = minFreeBytes != null ? minFreeBytes : AlertJournal.DEFAULT_MIN_FREE_BYTES;
            if (minFreeBytes < 0) {
                throw new IllegalArgumentException("journal.minFreeBytes must not be negative, not " + minFreeBytes);
            }
        }
    }

    /** The HTTP API; see the class comment for the keys. */
    public record Api(
            @JsonDeserialize(using = ListenAddressDeserializer.class) InetSocketAddress listen,
            Tls tls,
            Path tokens,
            List<String> clientNames,
            List<String> openOnLoopback,
            Stream stream,
            Duration headerTimeout,
            Duration idleTimeout) {

        public static final int DEFAULT_PORT = 9848;
        /** The paths that may be open; the alert routes never are. */
        public static final List<String> PROBE_PATHS = List.of("/healthz", "/readyz", "/metrics");
        public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
        public static final Api DEFAULT = new Api(null, null, null, null, null, null, null, null);

        public Api {
            listen = listen != null ? listen : InetSocketAddress.createUnresolved("127.0.0.1", DEFAULT_PORT);
            clientNames = clientNames != null ? List.copyOf(clientNames) : List.of();
            openOnLoopback = openOnLoopback != null ? List.copyOf(openOnLoopback) : PROBE_PATHS;
            stream = stream != null ? stream : new Stream(null, null, null);
            headerTimeout = headerTimeout != null ? headerTimeout : DEFAULT_HEADER_TIMEOUT;
            idleTimeout = idleTimeout != null ? idleTimeout : DEFAULT_IDLE_TIMEOUT;
            if (headerTimeout.isZero() || headerTimeout.isNegative() || idleTimeout.isZero()
                    || idleTimeout.isNegative()) {
                throw new IllegalArgumentException("api.headerTimeout and api.idleTimeout must be longer than 0");
            }
            for (String path : openOnLoopback) {
                if (!PROBE_PATHS.contains(path)) {
                    throw new IllegalArgumentException("api.openOnLoopback: '" + path + "' cannot be opened; only "
                            + String.join(", ", PROBE_PATHS) + " can");
                }
            }
            if (!clientNames.isEmpty() && tls == null) {
                throw new IllegalArgumentException("api.clientNames needs api.tls: client certificates come over TLS");
            }
            if (tokens != null && tls == null && !isLoopback(listen.getHostString())) {
                throw new IllegalArgumentException("api.listen " + listen.getHostString() + ":" + listen.getPort()
                        + " is not a loopback address, so bearer tokens would cross the network in clear text: "
                        + "configure api.tls");
            }
        }

        /** The same settings on another address. */
        public Api listeningOn(InetSocketAddress address) {
            return new Api(address, tls, tokens, clientNames, openOnLoopback, stream, headerTimeout, idleTimeout);
        }

        /** The same settings with other timeouts. */
        public Api withTimeouts(Duration header, Duration idle) {
            return new Api(listen, tls, tokens, clientNames, openOnLoopback, stream, header, idle);
        }

        Api resolvedAgainst(Path dir) {
            return new Api(listen, tls == null ? null : tls.resolvedAgainst(dir),
                    tokens == null ? null : dir.resolve(tokens), clientNames, openOnLoopback, stream, headerTimeout,
                    idleTimeout);
        }

        /** Literal loopback addresses and "localhost" only: a host name is not resolved, and so needs TLS. */
        private static boolean isLoopback(String host) {
            if (host.equals("localhost")) {
                return true;
            }
            if (!host.matches("[0-9.]+|[0-9a-fA-F:.]+")) {
                return false;
            }
            try {
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
    }

    /** Live streams: how many, how they are kept alive, and when a client that stopped reading is cut off. */
    public record Stream(Integer maxClients, Duration heartbeat, Duration stallTimeout) {
        public Stream {
            maxClients = maxClients != null ? maxClients : 64;
            heartbeat = heartbeat != null ? heartbeat : Duration.ofSeconds(15);
            stallTimeout = stallTimeout != null ? stallTimeout : Duration.ofSeconds(10);
            if (maxClients < 1 || maxClients > 10_000) {
                throw new IllegalArgumentException("api.stream.maxClients must be between 1 and 10000, not "
                        + maxClients);
            }
            if (heartbeat.isZero() || heartbeat.isNegative() || stallTimeout.isZero() || stallTimeout.isNegative()) {
                throw new IllegalArgumentException("api.stream.heartbeat and api.stream.stallTimeout must be longer "
                        + "than 0");
            }
        }
    }
}
