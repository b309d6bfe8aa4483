package dev.hvwatch.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.protocol.config.ConfigException;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.HostTool;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The agent's /metrics endpoint against real HTTP clients: the JDK's, raw sockets that stall, and curl. */
class MetricsServerTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final MetricsServer.Limits SHORT = new MetricsServer.Limits(Duration.ofSeconds(1),
            Duration.ofSeconds(2), 64);

    @TempDir
    Path dir;

    private final AgentMetrics metrics = new AgentMetrics();
    private final HttpClient http = HttpClient.newHttpClient();

    /** The finding: one connection that never finishes its request headers stalled every scrape. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aClientThatNeverFinishesItsRequestStallsNoScrapeAndIsClosedAtItsDeadline() throws Exception {
        try (MetricsServer server = new MetricsServer(LOOPBACK, metrics, new WebConfig(null, null), null, SHORT);
             Socket stalled = new Socket("127.0.0.1", server.address().getPort())) {
            stalled.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes());
            stalled.getOutputStream().flush();
            List<CompletableFuture<HttpResponse<String>>> scrapes = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                scrapes.add(http.sendAsync(get(server, "/metrics"), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> scrape : scrapes) {
                HttpResponse<String> r = scrape.get(5, TimeUnit.SECONDS);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).contains("hvwatch_metrics_http_rejected_total");
            }
            stalled.setSoTimeout(5000);
            assertThat(stalled.getInputStream().read()).as("closed at the request deadline").isEqualTo(-1);
            assertThat(server.rejected("timeout")).isEqualTo(1);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void anIdleKeepAliveConnectionIsClosedAndConnectionsBeyondTheLimitAreRefused() throws Exception {
        MetricsServer.Limits two = new MetricsServer.Limits(Duration.ofSeconds(1), Duration.ofSeconds(1), 2);
        try (MetricsServer server = new MetricsServer(LOOPBACK, metrics, new WebConfig(null, null), null, two);
             Socket first = new Socket("127.0.0.1", server.address().getPort());
             Socket second = new Socket("127.0.0.1", server.address().getPort());
             Socket third = new Socket("127.0.0.1", server.address().getPort())) {
            third.setSoTimeout(5000);
            assertThat(third.getInputStream().read()).as("beyond the limit").isEqualTo(-1);
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> server.rejected("limit") == 1);

            OutputStream out = first.getOutputStream();
            out.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            first.setSoTimeout(5000);
            InputStream in = first.getInputStream();
            String head = new String(in.readNBytes(15), StandardCharsets.US_ASCII);
            assertThat(head).isEqualTo("HTTP/1.1 200 OK");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            int b;
            do {
                b = in.read(); // the rest of the response, then the close after the idle timeout
            } while (b >= 0 && System.nanoTime() < deadline);
            assertThat(b).as("closed after the idle timeout").isEqualTo(-1);
        }
    }

    /** Clients that open a connection per scrape and leave the old ones open must not lock the others out. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void atTheLimitAnIdleKeepAliveConnectionMakesRoomForANewOne() throws Exception {
        MetricsServer.Limits three = new MetricsServer.Limits(Duration.ofSeconds(5), Duration.ofSeconds(60), 3);
        try (MetricsServer server = new MetricsServer(LOOPBACK, metrics, new WebConfig(null, null), null, three)) {
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = HttpClient.newHttpClient().send(get(server, "/metrics"),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
            }
            assertThat(server.rejected("limit")).isZero();
        }
    }

    @Test
    void otherPathsAndMethodsAreRefused() throws Exception {
        try (MetricsServer server = new MetricsServer(LOOPBACK, metrics, new WebConfig(null, null), null, SHORT)) {
            assertThat(http.send(get(server, "/"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort()
                            + "/metrics")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void tlsWithBasicAuthAndClientCertificatesFromAnExporterWebConfigFile() throws Exception {
        Path curl = HostTool.require("curl", "curl");
        Pki pki = Pki.createCa(dir.resolve("pki"), "metrics CA");
        TlsFiles serverTls = pki.issueServer("agent-metrics");
        TlsFiles client = pki.issueAgent("prometheus");
        String hash = OpenBSDBCrypt.generate("2y", "s3cret-pass".toCharArray(), new byte[16], 10);
        Path webFile = Files.writeString(dir.resolve("web.yml"), """
                tls_server_config:
                  cert_file: %s
                  key_file: %s
                  client_auth_type: RequireAndVerifyClientCert
                  client_ca_file: %s
                basic_auth_users:
                  prometheus: %s
                """.formatted(serverTls.cert(), serverTls.key(), pki.caCert(), hash));
        WebConfig web = WebConfig.load(webFile);
        try (MetricsServer server = new MetricsServer(LOOPBACK, metrics, web, web.sslContext(webFile), SHORT)) {
            String url = "https://127.0.0.1:" + server.address().getPort() + "/metrics";
            List<String> withCert = List.of("--cacert", pki.caCert().toString(), "--cert", client.cert().toString(),
                    "--key", client.key().toString());
            assertThat(curl(curl, url, withCert, "-u", "prometheus:s3cret-pass")).startsWith("200");
            assertThat(curl(curl, url, withCert, "-u", "prometheus:wrong")).startsWith("401");
            assertThat(curl(curl, url, withCert)).startsWith("401");
            assertThat(curl(curl, url, List.of("--cacert", pki.caCert().toString()), "-u", "prometheus:s3cret-pass"))
                    .as("no client certificate: the handshake fails").startsWith("000");
            assertThat(server.rejected("unauthorized")).isEqualTo(2);
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> server.rejected("tls") == 1);
        }
    }

    @Test
    void aWebConfigWithAnUnsupportedKeyOrABadHashIsRefusedNamingIt() throws Exception {
        Path unknown = Files.writeString(dir.resolve("unknown.yml"), """
                tls_server_config:
                  cert_file: a.pem
                  key_file: a-key.pem
                  cipher_suites: [TLS_AES_128_GCM_SHA256]
                """);
        assertThatThrownBy(() -> WebConfig.load(unknown)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 4").hasMessageContaining("cipher_suites");
        Path plain = Files.writeString(dir.resolve("plain.yml"), "basic_auth_users:\n  alice: hunter2\n");
        assertThatThrownBy(() -> WebConfig.load(plain)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("basic_auth_users.alice: not a bcrypt hash");
        Path noCa = Files.writeString(dir.resolve("noca.yml"), """
                tls_server_config: {cert_file: a.pem, key_file: k.pem, client_auth_type: RequireAndVerifyClientCert}
                """);
        assertThatThrownBy(() -> WebConfig.load(noCa)).hasMessageContaining("needs client_ca_file");
    }

    private static String curl(Path curl, String url, List<String> tls, String... more) throws Exception {
        List<String> command = new ArrayList<>(List.of(curl.toString(), "-s", "-o", "/dev/null", "-w",
                "%{http_code}", "--max-time", "10"));
        command.addAll(tls);
        command.addAll(List.of(more));
        command.add(url);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(20, TimeUnit.SECONDS);
        return out.trim();
    }

    private static HttpRequest get(MetricsServer server, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
                .timeout(Duration.ofSeconds(5)).build();
    }
}
