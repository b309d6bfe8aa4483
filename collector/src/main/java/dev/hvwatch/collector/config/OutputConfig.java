package dev.hvwatch.collector.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.hvwatch.protocol.config.HostPort;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One entry of {@code outputs:}: where journaled alerts go ({@code type}: the transport) and how they are written
 * ({@code format}). The keys every output shares come first in each record; see {@link CollectorConfig} for the
 * documented defaults.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = OutputConfig.File.class, name = "file"),
    @JsonSubTypes.Type(value = OutputConfig.Syslog.class, name = "syslog"),
    @JsonSubTypes.Type(value = OutputConfig.Kafka.class, name = "kafka"),
    @JsonSubTypes.Type(value = OutputConfig.Webhook.class, name = "webhook")})
public sealed interface OutputConfig {
    int DEFAULT_BATCH_SIZE = 500;
    int MAX_BATCH_SIZE = 10_000;

    Format format();

    /** The RFC 5424 settings; not null exactly when the format is {@code rfc5424}. */
    Rfc5424 rfc5424();

    Integer batchSize();

    Retry retry();

    /** The same output with relative paths taken as relative to {@code dir}. */
    OutputConfig resolvedAgainst(Path dir);

    /** How each alert is written. */
    enum Format {
        JSON, OCSF, CEF, RFC5424;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The MSG part of an RFC 5424 message: the alert's sentence, or the alert in another format. */
    enum MessagePart {
        TEXT, JSON, OCSF, CEF;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Syslog facilities (RFC 5424, table 1) by the names syslog configurations use. */
    enum Facility {
        KERN, USER, MAIL, DAEMON, AUTH, SYSLOG, LPR, NEWS, UUCP, CRON, AUTHPRIV, FTP, NTP, AUDIT, ALERT, CLOCK,
        LOCAL0, LOCAL1, LOCAL2, LOCAL3, LOCAL4, LOCAL5, LOCAL6, LOCAL7;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public int code() {
            return ordinal();
        }
    }

    record Rfc5424(Facility facility, String appName, String enterpriseId, MessagePart message) {
        public static final String DEFAULT_APP_NAME = "hvwatch";
        /** RFC 5612's enterprise number for documentation; operators with a number of their own set theirs. */
        public static final String DEFAULT_ENTERPRISE_ID = "32473";
        private static final Pattern APP_NAME = Pattern.compile("[!-~]{1,48}");
        private static final Pattern ENTERPRISE_ID = Pattern.compile("[0-9]+(\\.[0-9]+)*");

        public Rfc5424 {
            facility = facility != null ? facility : Facility.AUTH;
            appName = appName != null ? appName : DEFAULT_APP_NAME;
            enterpriseId = enterpriseId != null ? enterpriseId : DEFAULT_ENTERPRISE_ID;
            message = message != null ? message : MessagePart.TEXT;
            if (!APP_NAME.matcher(appName).matches()) {
                throw new IllegalArgumentException("rfc5424.appName must be 1 to 48 printable ASCII characters "
                        + "without spaces, not '" + appName + "'");
            }
            if (!ENTERPRISE_ID.matcher(enterpriseId).matches()) {
                throw new IllegalArgumentException("rfc5424.enterpriseId must be an IANA private enterprise number "
                        + "such as 32473, not '" + enterpriseId + "'");
            }
        }
    }

    record Retry(Duration initial, Duration max) {
        public static final Duration DEFAULT_INITIAL = Duration.ofMillis(500);
        public static final Duration DEFAULT_MAX = Duration.ofSeconds(30);

        public Retry {
            initial = initial != null ? initial : DEFAULT_INITIAL;
            max = max != null ? max : DEFAULT_MAX;
            if (initial.isZero() || initial.isNegative() || max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("retry needs 0 < initial <= max, not initial " + initial.toMillis()
                        + "ms and max " + max.toMillis() + "ms");
            }
        }
    }

    /** The keys every output has, with their defaults applied and checked against the format. */
    record Common(Format format, Rfc5424 rfc5424, Integer batchSize, Retry retry) {
        static Common of(String type, Format format, Format defaultFormat, Rfc5424 rfc5424, Integer batchSize,
                Retry retry) {
            format = format != null ? format : defaultFormat;
            if (format == Format.RFC5424) {
                rfc5424 = rfc5424 != null ? rfc5424 : new Rfc5424(null, null, null, null);
            } else if (rfc5424 != null) {
                throw new IllegalArgumentException(type + " output: rfc5424 settings apply only to format rfc5424, "
                        + "not " + format.wireName());
            }
            batchSize = batchSize != null ? batchSize : DEFAULT_BATCH_SIZE;
            if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
                throw new IllegalArgumentException(type + " output: batchSize must be between 1 and " + MAX_BATCH_SIZE
                        + ", not " + batchSize);
            }
            return new Common(format, rfc5424, batchSize, retry != null ? retry : new Retry(null, null));
        }
    }

    /** A local file, one alert per line, rotated by size or age. */
    record File(Format format, Rfc5424 rfc5424, Integer batchSize, Retry retry,
                @JsonProperty(required = true) Path path, Rotate rotate) implements OutputConfig {
        public File {
            Common common = Common.of("file", format, Format.JSON, rfc5424, batchSize, retry);
            format = common.format();
            rfc5424 = common.rfc5424();
            batchSize = common.batchSize();
            retry = common.retry();
            rotate = rotate != null ? rotate : new Rotate(null, null, null);
        }

        @Override
        public File resolvedAgainst(Path dir) {
            return new File(format, rfc5424, batchSize, retry, dir.resolve(path), rotate);
        }
    }

    /** Rotation of a file output: 0 bytes and no age mean never. */
    record Rotate(Long maxBytes, Duration maxAge, Integer keep) {
        public static final int DEFAULT_KEEP = 10;

        public Rotate {
            maxBytes = maxBytes != null ? maxBytes : 0L;
            keep = keep != null ? keep : DEFAULT_KEEP;
            if (maxBytes < 0) {
                throw new IllegalArgumentException("rotate.maxBytes must be 0 (never) or more, not " + maxBytes);
            }
            if (maxAge != null && (maxAge.isZero() || maxAge.isNegative())) {
                throw new IllegalArgumentException("rotate.maxAge must be longer than 0; leave it out for never");
            }
            if (keep < 1) {
                throw new IllegalArgumentException("rotate.keep must be 1 or more, not " + keep);
            }
        }
    }

    enum SyslogProtocol {
        TLS, TCP, UDP;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A syslog receiver: RFC 5424 messages over TLS (RFC 5425) or plain TCP with octet counting, or UDP. */
    record Syslog(Format format, Rfc5424 rfc5424, Integer batchSize, Retry retry,
                  @JsonProperty(required = true) String address, SyslogProtocol protocol, ClientTls tls,
                  Duration connectTimeout) implements OutputConfig {
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

        public Syslog {
            Common common = Common.of("syslog", format, Format.RFC5424, rfc5424, batchSize, retry);
            format = common.format();
            rfc5424 = common.rfc5424();
            batchSize = common.batchSize();
            retry = common.retry();
            protocol = protocol != null ? protocol : SyslogProtocol.TLS;
            connectTimeout = connectTimeout != null ? connectTimeout : DEFAULT_CONNECT_TIMEOUT;
            if (format != Format.RFC5424) {
                throw new IllegalArgumentException("syslog output: format must be rfc5424 (choose the message "
                        + "inside with rfc5424.message: text, json, ocsf or cef), not " + format.wireName());
            }
            HostPort.parse("syslog output: address", address);
            if (protocol == SyslogProtocol.TLS && tls == null) {
                throw new IllegalArgumentException("syslog output: protocol tls needs tls.ca (and tls.cert, tls.key "
                        + "when the receiver asks for a client certificate)");
            }
            if (protocol != SyslogProtocol.TLS && tls != null) {
                throw new IllegalArgumentException("syslog output: tls settings apply only to protocol tls, not "
                        + protocol.wireName());
            }
        }

        public HostPort hostPort() {
            return HostPort.parse("address", address);
        }

        @Override
        public Syslog resolvedAgainst(Path dir) {
            return new Syslog(format, rfc5424, batchSize, retry, address, protocol,
                    tls == null ? null : tls.resolvedAgainst(dir), connectTimeout);
        }
    }

    /** TLS towards a receiver: the CA that signs its certificate, and a client certificate if it wants one. */
    record ClientTls(@JsonProperty(required = true) Path ca, Path cert, Path key) {
        public ClientTls {
            if ((cert == null) != (key == null)) {
                throw new IllegalArgumentException("tls.cert and tls.key go together: give both or neither");
            }
        }

        ClientTls resolvedAgainst(Path dir) {
            return new ClientTls(dir.resolve(ca), cert == null ? null : dir.resolve(cert),
                    key == null ? null : dir.resolve(key));
        }
    }

    /** A Kafka topic, keyed by host, written by an idempotent producer with acks=all. */
    record Kafka(Format format, Rfc5424 rfc5424, Integer batchSize, Retry retry,
                 @JsonProperty(required = true) List<String> bootstrapServers,
                 @JsonProperty(required = true) String topic, Duration deliveryTimeout,
                 Map<String, String> properties) implements OutputConfig {
        public static final Duration DEFAULT_DELIVERY_TIMEOUT = Duration.ofSeconds(30);
        /** What hvwatch's delivery promise rests on, so the operator's {@code properties} may not change it. */
        public static final Set<String> FIXED_PROPERTIES = Set.of("bootstrap.servers", "acks", "enable.idempotence",
                "key.serializer", "value.serializer", "delivery.timeout.ms", "transactional.id");
        private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

        public Kafka {
            Common common = Common.of("kafka", format, Format.JSON, rfc5424, batchSize, retry);
            format = common.format();
            rfc5424 = common.rfc5424();
            batchSize = common.batchSize();
            retry = common.retry();
            deliveryTimeout = deliveryTimeout != null ? deliveryTimeout : DEFAULT_DELIVERY_TIMEOUT;
            properties = properties != null ? Map.copyOf(properties) : Map.of();
            if (bootstrapServers.isEmpty()) {
                throw new IllegalArgumentException("kafka output: bootstrapServers must name at least one host:port");
            }
            bootstrapServers.forEach(server -> HostPort.parse("kafka output: bootstrapServers", server));
            bootstrapServers = List.copyOf(bootstrapServers);
            if (!TOPIC.matcher(topic).matches()) {
                throw new IllegalArgumentException("kafka output: topic must be 1 to 249 of a-z A-Z 0-9 . _ -, not '"
                        + topic + "'");
            }
            if (deliveryTimeout.toMillis() < 1000) {
                throw new IllegalArgumentException("kafka output: deliveryTimeout must be 1s or more");
            }
            for (String key : properties.keySet()) {
                if (FIXED_PROPERTIES.contains(key)) {
                    throw new IllegalArgumentException("kafka output: properties may not set " + key + ": hvwatch "
                            + "sets " + String.join(", ", FIXED_PROPERTIES.stream().sorted().toList())
                            + " itself");
                }
            }
        }

        @Override
        public Kafka resolvedAgainst(Path dir) {
            return this;
        }
    }

    /** An HTTP(S) endpoint that takes JSON arrays of alerts by POST. */
    record Webhook(Format format, Rfc5424 rfc5424, Integer batchSize, Retry retry,
                   @JsonProperty(required = true) URI url, Path tokenFile, Path ca, Duration timeout)
            implements OutputConfig {
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

        public Webhook {
            Common common = Common.of("webhook", format, Format.JSON, rfc5424, batchSize, retry);
            format = common.format();
            rfc5424 = common.rfc5424();
            batchSize = common.batchSize();
            retry = common.retry();
            timeout = timeout != null ? timeout : DEFAULT_TIMEOUT;
            if (format != Format.JSON && format != Format.OCSF) {
                throw new IllegalArgumentException("webhook output: posts JSON arrays, so format must be json or "
                        + "ocsf, not " + format.wireName());
            }
            String scheme = url.getScheme();
            if (!"http".equals(scheme) && !"https".equals(scheme) || url.getHost() == null) {
                throw new IllegalArgumentException("webhook output: url must be http://HOST... or https://HOST..., "
                        + "not '" + url + "'");
            }
            if (ca != null && !"https".equals(scheme)) {
                throw new IllegalArgumentException("webhook output: ca applies only to an https url");
            }
            if (timeout.isZero() || timeout.isNegative()) {
                throw new IllegalArgumentException("webhook output: timeout must be longer than 0");
            }
        }

        @Override
        public Webhook resolvedAgainst(Path dir) {
            return new Webhook(format, rfc5424, batchSize, retry, url, tokenFile == null ? null
                    : dir.resolve(tokenFile), ca == null ? null : dir.resolve(ca), timeout);
        }
    }
}
