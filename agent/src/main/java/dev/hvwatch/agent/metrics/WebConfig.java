package dev.hvwatch.agent.metrics;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.hvwatch.protocol.config.ConfigException;
import dev.hvwatch.protocol.config.StrictYaml;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.springframework.security.crypto.bcrypt.BCrypt;

/**
 * The optional web configuration of {@code /metrics} ({@code metrics.webConfig}), in the file format of the
 * Prometheus exporters (exporter-toolkit), so that operators can reuse theirs. Supported: {@code tls_server_config}
 * with {@code cert_file}, {@code key_file}, {@code client_auth_type} ({@code NoClientCert},
 * {@code VerifyClientCertIfGiven}, {@code RequireAndVerifyClientCert}), {@code client_ca_file} and
 * {@code min_version} ({@code TLS12}, {@code TLS13}); {@code basic_auth_users} with bcrypt hashes. Anything else
 * (inline certificates, cipher suites, {@code http_server_config}, {@code rate_limit}) is refused with its line,
 * rather than silently ignored.
 */
public record WebConfig(
        @JsonProperty("tls_server_config") TlsServerConfig tls,
        @JsonProperty("basic_auth_users") Map<String, String> basicAuthUsers) {

    /** A bcrypt hash as htpasswd and Go's bcrypt write it. */
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}");

    public WebConfig {
        basicAuthUsers = basicAuthUsers == null ? Map.of() : Map.copyOf(basicAuthUsers);
    }

    public record TlsServerConfig(
            @JsonProperty("cert_file") Path certFile,
            @JsonProperty("key_file") Path keyFile,
            @JsonProperty("client_auth_type") String clientAuthType,
            @JsonProperty("client_ca_file") Path clientCaFile,
            @JsonProperty("min_version") String minVersion) {
    }

    public static WebConfig load(Path file) throws ConfigException {
        WebConfig config = StrictYaml.load(file, WebConfig.class);
        if (config == null) {
            return new WebConfig(null, null);
        }
        config.check(file);
        return config;
    }

    private void check(Path file) throws ConfigException {
        for (Map.Entry<String, String> user : basicAuthUsers.entrySet()) {
            if (user.getValue() == null || !BCRYPT.matcher(user.getValue()).matches()) {
                throw new ConfigException(file + ": basic_auth_users." + user.getKey() + ": not a bcrypt hash "
                        + "($2y$10$… as htpasswd -nBC 10 writes it)");
            }
        }
        if (tls == null) {
            return;
        }
        if (tls.certFile() == null || tls.keyFile() == null) {
            throw new ConfigException(file + ": tls_server_config needs cert_file and key_file");
        }
        ClientAuth auth = clientAuth(file);
        if (auth != ClientAuth.NONE && tls.clientCaFile() == null) {
            throw new ConfigException(file + ": tls_server_config.client_auth_type " + tls.clientAuthType()
                    + " needs client_ca_file");
        }
        protocols(file);
    }

    /** Whether any credential is asked for: a client certificate or a basic-auth password. */
    public boolean authenticates() {
        return !basicAuthUsers.isEmpty() || (tls != null && tls.clientAuthType() != null
                && tls.clientAuthType().equals("RequireAndVerifyClientCert"));
    }

    /** The TLS context for the listener, or null for plain HTTP. */
    public SslContext sslContext(Path file) throws ConfigException {
        if (tls == null) {
            return null;
        }
        try {
            SslContextBuilder builder = SslContextBuilder.forServer(tls.certFile().toFile(), tls.keyFile().toFile())
                    .clientAuth(clientAuth(file)).protocols(protocols(file));
            if (tls.clientCaFile() != null) {
                builder.trustManager(tls.clientCaFile().toFile());
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new ConfigException(file + ": tls_server_config: " + e.getMessage(), e);
        }
    }

    /** Whether {@code password} is that of {@code user}; bcrypt, so slow on purpose: call off the I/O thread. */
    boolean passwordMatches(String user, String password) {
        String hash = basicAuthUsers.get(user);
        return hash != null && BCrypt.checkpw(password.getBytes(StandardCharsets.UTF_8), hash);
    }

    private ClientAuth clientAuth(Path file) throws ConfigException {
        String type = tls.clientAuthType() == null ? "NoClientCert" : tls.clientAuthType();
        return switch (type) {
            case "NoClientCert" -> ClientAuth.NONE;
            case "VerifyClientCertIfGiven" -> ClientAuth.OPTIONAL;
            case "RequireAndVerifyClientCert" -> ClientAuth.REQUIRE;
            default -> throw new ConfigException(file + ": tls_server_config.client_auth_type '" + type + "' is "
                    + "not supported (NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
        };
    }

    private String[] protocols(Path file) throws ConfigException {
        String min = tls.minVersion() == null ? "TLS12" : tls.minVersion();
        return switch (min) {
            case "TLS12" -> new String[] {"TLSv1.3", "TLSv1.2"};
            case "TLS13" -> new String[] {"TLSv1.3"};
            default -> throw new ConfigException(file + ": tls_server_config.min_version '" + min + "' is not "
                    + "supported (TLS12 or TLS13)");
        };
    }
}
