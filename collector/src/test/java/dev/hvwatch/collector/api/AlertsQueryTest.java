package dev.hvwatch.collector.api;

import static dev.hvwatch.collector.testing.TestAlerts.variedAlerts;
import static dev.hvwatch.collector.testing.TestAlerts.variedTime;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.testing.ApiFixture;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertSchemaCheck;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Severity;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/v1/alerts} against a collector fed by two real agents over mutual TLS. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AlertsQueryTest {
    private ApiFixture api;
    private final List<Alert> journaled = new ArrayList<>();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        api = ApiFixture.start(dir, new CollectorConfig.Stream(null, null, null));
        journaled.addAll(variedAlerts("kvm-01", 1, 150));
        journaled.addAll(variedAlerts("kvm-02", 1, 90));
        api.ingest("kvm-01", journaled.subList(0, 150));
        api.ingest("kvm-02", journaled.subList(150, 240));
    }

    @AfterAll
    void stop() throws Exception {
        api.close();
    }

    @Test
    void pagesThroughEverythingOnceInJournalOrderWithCanonicalAlertsThatFollowTheSchema() throws Exception {
        List<String> pages = new ArrayList<>();
        List<String> alerts = new ArrayList<>();
        String cursor = null;
        while (true) {
            JsonNode page = api.getJson("/api/v1/alerts?limit=7" + (cursor == null ? "" : "&cursor=" + cursor));
            page.get("alerts").forEach(alert -> alerts.add(alert.toString()));
            pages.add(page.get("next").asText());
            if (!page.get("more").asBoolean()) {
                break;
            }
            cursor = page.get("next").asText();
        }

        assertThat(alerts).containsExactlyElementsOf(journaled.stream().map(AlertJson::toLine).toList());
        alerts.forEach(AlertSchemaCheck::assertValid);
        // 240 = 34 pages of 7 + one of 2.
        assertThat(pages).hasSize(35).doesNotHaveDuplicates();
    }

    @Test
    void aPageHoldsAHundredAlertsUnlessToldOtherwise() throws Exception {
        JsonNode page = api.getJson("/api/v1/alerts");

        assertThat(page.get("alerts")).hasSize(100);
        assertThat(page.get("more").asBoolean()).isTrue();
        assertThat(api.getJson("/api/v1/alerts?limit=1000").get("alerts").size()).isEqualTo(240);
    }

    @Test
    void eachFilterSelectsExactlyItsAlerts() throws Exception {
        Map<String, Predicate<Alert>> filters = Map.ofEntries(
                Map.entry("severity=high,critical",
                        a -> a.severity() == Severity.HIGH || a.severity() == Severity.CRITICAL),
                Map.entry("severity=low&severity=info",
                        a -> a.severity() == Severity.LOW || a.severity() == Severity.INFO),
                Map.entry("minSeverity=medium", a -> a.severity().compareTo(Severity.MEDIUM) >= 0),
                Map.entry("host=kvm-02", a -> a.host().equals("kvm-02")),
                Map.entry("vm=guest-1", a -> a.vm() != null && a.vm().name().equals("guest-1")),
                Map.entry("vm=guest-0,5f0c8a4e-0000-4000-8000-000000000002",
                        a -> a.vm() != null && List.of("guest-0", "guest-2").contains(a.vm().name())),
                Map.entry("rule=vm-exit-storm", a -> a.rule().equals("vm-exit-storm")),
                Map.entry("state=resolved", a -> a.state() == AlertState.RESOLVED),
                Map.entry("since=" + variedTime(100) + "&until=" + variedTime(120).toEpochMilli(),
                        a -> a.seq() >= 100 && a.seq() < 120),
                Map.entry("since=" + enc(variedTime(60).atOffset(ZoneOffset.ofHours(2)).toString()),
                        a -> a.seq() >= 60),
                Map.entry("host=kvm-01&minSeverity=high&state=firing&rule=vcpu-starvation",
                        a -> a.host().equals("kvm-01") && a.severity().compareTo(Severity.HIGH) >= 0
                                && a.state() == AlertState.FIRING && a.rule().equals("vcpu-starvation")));

        for (Map.Entry<String, Predicate<Alert>> filter : filters.entrySet()) {
            List<String> expected = journaled.stream().filter(filter.getValue()).map(Alert::id).toList();
            List<String> ids = new ArrayList<>();
            api.getJson("/api/v1/alerts?limit=1000&" + filter.getKey()).get("alerts")
                    .forEach(alert -> ids.add(alert.get("id").asText()));

            assertThat(ids).as(filter.getKey()).isNotEmpty().containsExactlyElementsOf(expected);
        }
    }

    @Test
    void filteredPagesAlsoPageThroughEverything() throws Exception {
        List<String> ids = new ArrayList<>();
        String query = "/api/v1/alerts?limit=4&severity=critical";
        for (JsonNode page = api.getJson(query); ; ) {
            page.get("alerts").forEach(alert -> ids.add(alert.get("id").asText()));
            if (!page.get("more").asBoolean()) {
                break;
            }
            page = api.getJson(query + "&cursor=" + page.get("next").asText());
        }

        assertThat(ids).containsExactlyElementsOf(
                journaled.stream().filter(a -> a.severity() == Severity.CRITICAL).map(Alert::id).toList());
    }

    /** Last, as it journals more alerts. */
    @Test
    @Order(Integer.MAX_VALUE)
    void theLastPagesNextFindsTheAlertsJournaledLater() throws Exception {
        JsonNode last = api.getJson("/api/v1/alerts?limit=1000&host=kvm-03");
        assertThat(last.get("alerts")).isEmpty();
        assertThat(last.get("more").asBoolean()).isFalse();

        api.ingest("kvm-03", variedAlerts("kvm-03", 1, 3));

        JsonNode fresh = api.getJson("/api/v1/alerts?cursor=" + last.get("next").asText());
        assertThat(fresh.get("alerts")).extracting(a -> a.get("id").asText())
                .containsExactly("alert-kvm-03-1", "alert-kvm-03-2", "alert-kvm-03-3");
        assertThat(fresh.get("more").asBoolean()).isFalse();
    }

    @Test
    void eachBadParameterIsA400NamingIt() throws Exception {
        Map<String, String> bad = Map.ofEntries(
                Map.entry("since=yesterday", "since"),
                Map.entry("until=2025-13-01T00:00:00Z", "until"),
                Map.entry("since=2025-01-02T00:00:00Z&until=2025-01-01T00:00:00Z", "until"),
                Map.entry("since=2025-01-02T00:00:00+02:00", "since"),
                Map.entry("severity=urgent", "severity"),
                Map.entry("minSeverity=high,critical", "minSeverity"),
                Map.entry("state=open", "state"),
                Map.entry("host=", "host"),
                Map.entry("vm=a,,b", "vm"),
                Map.entry("rule=" + "r".repeat(300), "rule"),
                Map.entry("limit=0", "limit"),
                Map.entry("limit=1001", "limit"),
                Map.entry("limit=ten", "limit"),
                Map.entry("cursor=not-a-cursor", "cursor"),
                Map.entry("cursor=7fffffffffffffff", "cursor"),
                Map.entry("cursor=1", "cursor"),
                Map.entry("since=1&since=2", "since"),
                Map.entry("sevrity=high", "sevrity"));

        for (Map.Entry<String, String> query : bad.entrySet()) {
            HttpResponse<String> response = api.get("/api/v1/alerts?" + query.getKey());

            assertThat(response.statusCode()).as(query.getKey()).isEqualTo(400);
            JsonNode body = AlertJson.mapper().readTree(response.body());
            assertThat(body.get("parameter").asText()).as(query.getKey()).isEqualTo(query.getValue());
            assertThat(body.get("reason").asText()).as(query.getKey()).startsWith(query.getValue() + ": ");
        }
        assertThat(AlertJson.mapper().readTree(api.get("/api/v1/alerts?since=2025-01-02T00:00:00+02:00").body())
                .get("reason").asText()).contains("%2B");
        assertThat(api.metric("hvwatch_collector_api_requests_total{route=\"/api/v1/alerts\",status=\"400\"}"))
                .isGreaterThanOrEqualTo(bad.size());
    }

    @Test
    void probesAnswerOnLoopbackWithoutCredentials() throws Exception {
        HttpResponse<String> health = api.get("/healthz", null);
        HttpResponse<String> ready = api.get("/readyz", null);
        HttpResponse<String> metrics = api.get("/metrics", null);

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"status\":\"ok\"}");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).isEqualTo("{\"status\":\"ready\"}");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("hvwatch_collector_alerts_journaled_total");
    }

    @Test
    void unknownPathsAndMethodsAreRefusedInJson() throws Exception {
        HttpResponse<String> missing = api.get("/api/v1/alert");
        HttpResponse<String> post = api.http().send(HttpRequest.newBuilder(api.uri("/api/v1/alerts"))
                .header("Authorization", "Bearer " + ApiFixture.TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("/api/v1/alerts");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).contains("GET");
        assertThat(Stream.of(missing, post).map(r -> r.headers().firstValue("Content-Type").orElse("")))
                .containsOnly("application/json");
    }

    private static String enc(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
