package dev.hvwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.testing.ApiFixture;
import dev.hvwatch.collector.testing.TestPki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.DocRegion;
import dev.hvwatch.testkit.MetricFamilies;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/metrics.md lists every series the collector registers, with its type and help text, as a collector with an
 * output and an HTTPS API serves them on /metrics; the test fails when the table drifts from that.
 */
class CollectorMetricsDocsTest {
    private static final String REGENERATE = "mvn -B -pl collector -am test -Dtest=CollectorMetricsDocsTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false";

    @TempDir
    Path dir;

    @Test
    void metricsListEverySeriesTheCollectorRegistersWithItsHelp() throws Exception {
        TestPki pki = new TestPki(dir.resolve("pki"));
        TlsFiles server = pki.pki().issueServer("collector-api");
        CollectorConfig.Api api = new CollectorConfig.Api(InetSocketAddress.createUnresolved("127.0.0.1", 0),
                new CollectorConfig.Tls(server.cert(), server.key(), pki.pki().caCert(), pki.pki().crl(), null),
                null, null, null, null, null, null);
        CollectorConfig base = pki.collectorConfig(dir.resolve("journal"));
        OutputConfig file = new OutputConfig.File(null, null, null, null, dir.resolve("alerts.jsonl"), null);
        CollectorConfig config = new CollectorConfig(base.listen(), base.tls(), base.journal(), Map.of("soc", file),
                api, null, null, null, null, null);

        try (Collector collector = new Collector(config)) {
            collector.start();
            HttpClient https = ApiFixture.httpsClient(null, pki.pki().caCert());
            URI metrics = URI.create("https://127.0.0.1:" + collector.apiAddress().getPort() + "/metrics");
            scrape(https, metrics); // the API counts requests by route once it has answered one
            String text = scrape(https, metrics);

            DocRegion.of("docs/metrics.md", "collector-metrics").assertHolds(MetricFamilies.markdown(List.of(text)),
                    REGENERATE);
        }
    }

    private static String scrape(HttpClient client, URI uri) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s", uri).isEqualTo(200);
        return response.body();
    }
}
