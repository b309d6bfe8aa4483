package dev.hvwatch.collector.api;

import static dev.hvwatch.collector.testing.TestAlerts.variedAlerts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.awaitility.Durations.TEN_SECONDS;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.testing.ApiFixture;
import dev.hvwatch.collector.testing.TestPki;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may use the API: bearer tokens over HTTP on loopback, client certificates and tokens over HTTPS. */
class ApiAuthTest {
    private static final String ALERTS = "/api/v1/alerts";

    @TempDir
    Path dir;

    private ApiFixture api;

    @AfterEach
    void stop() throws Exception {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void withoutOrWithAWrongTokenTheAnswerIs401WithAReason() throws Exception {
        api = ApiFixture.start(dir, new CollectorConfig.Stream(null, null, null));
        String wrong = "Bearer " + "0".repeat(64);

        for (String route : List.of(ALERTS, "/api/v1/stream")) {
            HttpResponse<String> none = api.get(route, null);
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"hvwatch\"");
            assertThat(reason(none)).contains("credentials required");
        }
        HttpResponse<String> wrongToken = api.get(ALERTS, wrong);
        HttpResponse<String> basic = api.get(ALERTS, "Basic c29jOnNlY3JldA==");

        assertThat(wrongToken.statusCode()).isEqualTo(401);
        assertThat(reason(wrongToken)).isEqualTo("the bearer token is not one of api.tokens");
        assertThat(wrongToken.body()).doesNotContain("0".repeat(32));
        assertThat(basic.statusCode()).isEqualTo(401);
        assertThat(reason(basic)).contains("must be 'Bearer TOKEN'").doesNotContain("c29j");
        assertThat(api.get(ALERTS).statusCode()).isEqualTo(200);
        assertThat(api.metric("hvwatch_collector_api_requests_total{route=\"/api/v1/alerts\",status=\"401\"}"))
                .isEqualTo(3);
    }

    @Test
    void probesNeedCredentialsWhenNotOpenedOnLoopback() throws Exception {
        api = ApiFixture.start(new TestPki(dir.resolve("pki")), dir, new CollectorConfig.Api(
                InetSocketAddress.createUnresolved("127.0.0.1", 0), null,
                ApiFixture.tokensFile(dir, "prometheus " + ApiFixture.TOKEN), null, List.of("/healthz"), null, null, null));

        assertThat(api.get("/healthz", null).statusCode()).isEqualTo(200);
        assertThat(api.get("/readyz", null).statusCode()).isEqualTo(401);
        assertThat(api.get("/metrics", null).statusCode()).isEqualTo(401);
        assertThat(api.get("/metrics").statusCode()).isEqualTo(200);
    }

    @Test
    void aChangedTokensFileTakesEffectWithoutRestartAndABadOneIsRefused() throws Exception {
        api = ApiFixture.start(dir, new CollectorConfig.Stream(null, null, null));
        String rotated = "9".repeat(40);

        ApiFixture.tokensFile(dir, "soc-reader " + rotated);
        await("the new token is accepted").atMost(TEN_SECONDS).until(() -> status(ALERTS, "Bearer " + rotated) == 200);
        assertThat(api.get(ALERTS).statusCode()).isEqualTo(401);

        ApiFixture.tokensFile(dir, "soc-reader short");
        await("the bad file is counted").atMost(TEN_SECONDS).until(
                () -> api.metric("hvwatch_collector_api_tokens_reload_failures_total") == 1);
        assertThat(status(ALERTS, "Bearer " + rotated)).isEqualTo(200);
    }

    @Test
    void overHttpsAClientCertificateOrATokenLetsIn() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        api = httpsApi(pki, ApiFixture.tokensFile(dir, "soc-reader " + ApiFixture.TOKEN));
        api.ingest("kvm-01", variedAlerts("kvm-01", 1, 3));
        TlsFiles siem = pki.agent("soc-siem");
        HttpClient siemClient = ApiFixture.httpsClient(siem, pki.pki().caCert());

        HttpResponse<String> byCertificate = get(siemClient, ALERTS);
        assertThat(byCertificate.statusCode()).isEqualTo(200);
        assertThat(AlertJson.mapper().readTree(byCertificate.body()).get("alerts")).hasSize(3);

        HttpClient agentClient = ApiFixture.httpsClient(pki.agent("kvm-01"), pki.pki().caCert());
        HttpResponse<String> agentCertificate = get(agentClient, ALERTS);
        assertThat(agentCertificate.statusCode()).isEqualTo(403);
        assertThat(reason(agentCertificate))
                .isEqualTo("the client certificate's CN 'kvm-01' is not in api.clientNames");

        HttpClient noCertificate = ApiFixture.httpsClient(null, pki.pki().caCert());
        assertThat(get(noCertificate, ALERTS).statusCode()).isEqualTo(401);
        assertThat(noCertificate.send(HttpRequest.newBuilder(api.uri(ALERTS))
                .header("Authorization", "Bearer " + ApiFixture.TOKEN).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

        TlsFiles foreign = Pki.createCa(dir.resolve("foreign"), TestPki.CA_NAME).issueAgent("soc-siem");
        HttpClient foreignClient = ApiFixture.httpsClient(foreign, pki.pki().caCert());
        assertThatThrownBy(() -> get(foreignClient, ALERTS)).isInstanceOf(IOException.class);
        // HttpClient tries a failed handshake twice.
        await("the failed handshake is counted").atMost(TEN_SECONDS).until(
                () -> api.metric("hvwatch_collector_api_handshake_failures_total") >= 1);
    }

    @Test
    void aRevokedClientCertificateLosesItsStreamAndCannotConnectAgain() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        api = httpsApi(pki, null);
        TlsFiles siem = pki.agent("soc-siem");
        HttpClient siemClient = ApiFixture.httpsClient(siem, pki.pki().caCert());
        HttpResponse<Stream<String>> stream = siemClient.send(
                HttpRequest.newBuilder(api.uri("/api/v1/stream")).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        await("the stream is counted").atMost(TEN_SECONDS)
                .until(() -> api.metric("hvwatch_collector_api_stream_clients") == 1);

        pki.pki().revoke(siem.cert());

        await("the stream is closed as revoked").atMost(TEN_SECONDS).until(() ->
                api.metric("hvwatch_collector_api_stream_disconnects_total{reason=\"revoked\"}") == 1);
        HttpClient again = ApiFixture.httpsClient(siem, pki.pki().caCert());
        assertThatThrownBy(() -> get(again, ALERTS)).isInstanceOf(IOException.class);
        stream.body().close();
    }

    /** The API over HTTPS with the test CA's revocation list, letting in certificates of CN soc-siem. */
    private ApiFixture httpsApi(TestPki pki, Path tokens) throws Exception {
        TlsFiles server = pki.pki().issueServer("collector-api");
        CollectorConfig.Tls tls = new CollectorConfig.Tls(server.cert(), server.key(), pki.pki().caCert(),
                pki.pki().crl(), ApiFixture.RELOAD);
        return ApiFixture.start(pki, dir, new CollectorConfig.Api(InetSocketAddress.createUnresolved("127.0.0.1", 0),
                tls, tokens, List.of("soc-siem"), null, null, null, null));
    }

    private int status(String route, String authorization) {
        try {
            return api.get(route, authorization).statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> get(HttpClient client, String route) throws Exception {
        return client.send(HttpRequest.newBuilder(api.uri(route)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String reason(HttpResponse<String> response) throws IOException {
        assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode body = AlertJson.mapper().readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo(response.statusCode() == 401 ? "Unauthorized" : "Forbidden");
        return body.get("reason").asText();
    }
}
