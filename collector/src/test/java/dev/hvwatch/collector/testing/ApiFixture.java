package dev.hvwatch.collector.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.tls.TlsContexts;
import dev.hvwatch.protocol.tls.TlsFiles;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * A collector with its HTTP API on a free loopback port, one bearer token, and real agents to feed it over mutual
 * TLS; requests go through {@link HttpClient}.
 */
public final class ApiFixture implements AutoCloseable {
    public static final Duration RELOAD = Duration.ofMillis(100);
    public static final String TOKEN = "3f9a1c0e5b7d2468ace013579bdf2468ace013579bdf2468ace013579bdf2468";

    private final String scheme;
    private final TestPki pki;
    private final Path dir;
    private final Collector collector;
    private final int ingestPort;
    private final HttpClient http;
    private final Map<String, TestAgent> agents = new HashMap<>();

    private ApiFixture(TestPki pki, Path dir, CollectorConfig config) throws Exception {
        this.scheme = config.api().tls() == null ? "http" : "https";
        this.http = config.api().tls() == null
                ? HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                : httpsClient(null, config.api().tls().ca());
        this.pki = pki;
        this.dir = dir;
        this.collector = new Collector(config);
        this.ingestPort = collector.start();
    }

    /** A collector whose API takes {@link #TOKEN} over plain HTTP on loopback, with these stream settings. */
    public static ApiFixture start(Path dir, CollectorConfig.Stream stream) throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        CollectorConfig.Api api = new CollectorConfig.Api(InetSocketAddress.createUnresolved("127.0.0.1", 0), null,
                tokensFile(dir, "soc-reader " + TOKEN), null, null, stream, null, null);
        return start(pki, dir, api);
    }

    /** A collector with this API; it checks its TLS files and tokens for changes every {@link #RELOAD}. */
    public static ApiFixture start(TestPki pki, Path dir, CollectorConfig.Api api) throws Exception {
        CollectorConfig base = pki.collectorConfig(dir.resolve("journal"));
        CollectorConfig.Tls tls = new CollectorConfig.Tls(base.tls().cert(), base.tls().key(), base.tls().ca(), null,
                RELOAD);
        return new ApiFixture(pki, dir, new CollectorConfig(base.listen(), tls, base.journal(), base.outputs(), api,
                base.maxFrameBytes(), base.idleTimeout(), null, null, null));
    }

    /** A tokens file readable by its owner only, as the collector requires. */
    public static Path tokensFile(Path dir, String... lines) throws IOException {
        Path file = dir.resolve("api-tokens");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(file, List.of(lines));
        return file;
    }

    /** An HTTPS client trusting {@code ca}, presenting {@code certificate} unless that is null. */
    public static HttpClient httpsClient(TlsFiles certificate, Path ca) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(ca.toFile()).protocols("TLSv1.3");
        if (certificate != null) {
            builder.keyManager(certificate.cert().toFile(), certificate.key().toFile());
        }
        SSLContext context = ((JdkSslContext) builder.build()).context();
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(context).build();
    }

    public Collector collector() {
        return collector;
    }

    public TestPki pki() {
        return pki;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Journals the alerts through a real agent connection over mutual TLS, as {@code identity}: one connection per
     * identity, kept for the next alerts, as an agent keeps its one connection.
     */
    public void ingest(String identity, List<Alert> alerts) throws Exception {
        TestAgent agent = agents.get(identity);
        if (agent == null) {
            agent = new TestAgent(TlsContexts.client(pki.agent(identity)), ingestPort);
            agents.put(identity, agent);
            agent.deliver(identity, alerts, 500);
        } else {
            agent.deliverMore(alerts, 500);
        }
    }

    public URI uri(String pathAndQuery) {
        return URI.create(scheme + "://127.0.0.1:" + collector.apiAddress().getPort() + pathAndQuery);
    }

    /** GET with {@link #TOKEN}. */
    public HttpResponse<String> get(String pathAndQuery) throws Exception {
        return get(pathAndQuery, "Bearer " + TOKEN);
    }

    /** GET with this Authorization header, none if null. */
    public HttpResponse<String> get(String pathAndQuery, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET with {@link #TOKEN}, expecting 200 and a JSON body. */
    public JsonNode getJson(String pathAndQuery) throws Exception {
        HttpResponse<String> response = get(pathAndQuery);
        assertThat(response.statusCode()).as("status of %s: %s", pathAndQuery, response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
        return AlertJson.mapper().readTree(response.body());
    }

    public HttpClient http() {
        return http;
    }

    /** The sample of a series in /metrics, e.g. {@code hvwatch_collector_api_stream_clients}. */
    public double metric(String series) {
        String body;
        try {
            body = get("/metrics").body();
        } catch (Exception e) {
            throw new IllegalStateException("GET /metrics failed", e);
        }
        for (String line : body.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        throw new AssertionError("no series " + series + " in /metrics:\n" + body);
    }

    @Override
    public void close() throws IOException {
        for (TestAgent agent : agents.values()) {
            agent.close();
        }
        collector.close();
    }
}
