package dev.hvwatch.collector.api;

import static dev.hvwatch.collector.testing.TestAlerts.variedAlerts;
import static dev.hvwatch.collector.testing.TestAlerts.variedTime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.awaitility.Durations.TEN_SECONDS;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.testing.ApiFixture;
import dev.hvwatch.collector.testing.SseClient;
import dev.hvwatch.collector.testing.SseClient.Event;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.Severity;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/v1/stream} (server-sent events) against a collector fed by real agents over mutual TLS. */
class AlertStreamTest {
    private static final String STREAM = "/api/v1/stream";
    private static final Pattern EVENT = Pattern.compile("id: ([0-9a-f]+)\nevent: alert\ndata: ([^\n]*)\n\n");

    @TempDir
    Path dir;

    private ApiFixture api;
    private final List<SseClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        api = ApiFixture.start(dir, new CollectorConfig.Stream(3, Duration.ofMillis(200), Duration.ofMillis(500)));
    }

    @AfterEach
    void stop() throws Exception {
        for (SseClient client : clients) {
            client.close();
        }
        api.close();
    }

    @Test
    void deliversAlertsLiveAsCanonicalJsonWithTheJournalIndexAsId() throws Exception {
        api.ingest("kvm-01", variedAlerts("kvm-01", 1, 2));
        SseClient stream = open(STREAM, null);
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.response().headers().firstValue("Content-Type")).contains("text/event-stream; charset=utf-8");
        await("the stream is counted").atMost(TEN_SECONDS).until(() -> clientsOpen() == 1);

        List<Alert> live = variedAlerts("kvm-01", 3, 7);
        api.ingest("kvm-01", live);

        List<Event> events = stream.next(5);
        assertThat(events).extracting(Event::data)
                .containsExactlyElementsOf(live.stream().map(AlertJson::toLine).toList());
        // The ids are the cursors the query API gives out: the page after event 3 starts at alert 6.
        JsonNode after = api.getJson("/api/v1/alerts?cursor=" + events.get(2).id());
        assertThat(after.get("alerts")).extracting(a -> a.get("id").asText())
                .containsExactly("alert-kvm-01-6", "alert-kvm-01-7");
        assertThat(api.metric("hvwatch_collector_api_stream_events_total")).isEqualTo(5);
    }

    @Test
    void filtersApplyToTheStream() throws Exception {
        SseClient stream = open(STREAM + "?host=kvm-02&minSeverity=high", null);
        await("the stream is counted").atMost(TEN_SECONDS).until(() -> clientsOpen() == 1);

        api.ingest("kvm-01", variedAlerts("kvm-01", 1, 20));
        api.ingest("kvm-02", variedAlerts("kvm-02", 1, 20));

        List<String> expected = variedAlerts("kvm-02", 1, 20).stream()
                .filter(a -> a.severity().compareTo(Severity.HIGH) >= 0)
                .map(AlertJson::toLine).toList();
        assertThat(stream.next(expected.size())).extracting(Event::data).containsExactlyElementsOf(expected);
        assertThat(stream.poll(Duration.ofMillis(300))).isNull();
    }

    @Test
    void resumesAfterLastEventIdWithoutLossOrRepeat() throws Exception {
        SseClient first = open(STREAM, null);
        await("the stream is counted").atMost(TEN_SECONDS).until(() -> clientsOpen() == 1);
        api.ingest("kvm-01", variedAlerts("kvm-01", 1, 10));
        List<Event> seen = first.next(4);
        first.close();
        api.ingest("kvm-01", variedAlerts("kvm-01", 11, 15));

        SseClient resumed = open(STREAM, seen.get(3).id());

        assertThat(resumed.next(11)).extracting(e -> AlertJson.parse(e.data()).seq())
                .containsExactlyElementsOf(IntStream.rangeClosed(5, 15).mapToObj(Long::valueOf).toList());
        assertThat(resumed.poll(Duration.ofMillis(300))).isNull();
    }

    @Test
    void sinceWithoutACursorReplaysFromTheOldestThenGoesLive() throws Exception {
        api.ingest("kvm-01", variedAlerts("kvm-01", 1, 10));

        SseClient stream = open(STREAM + "?since=" + variedTime(8), null);
        api.ingest("kvm-01", variedAlerts("kvm-01", 11, 12));

        assertThat(stream.next(5)).extracting(e -> AlertJson.parse(e.data()).seq())
                .containsExactly(8L, 9L, 10L, 11L, 12L);
    }

    @Test
    void idleStreamsGetHeartbeats() throws Exception {
        SseClient stream = open(STREAM, null);

        await("heartbeats arrive").atMost(TEN_SECONDS).until(() -> stream.comments() >= 3);
        assertThat(stream.poll(Duration.ZERO)).isNull();
    }

    @Test
    void badCursorsAndTooManyStreamsAreRefused() throws Exception {
        SseClient badHeader = open(STREAM, "zz-top");
        assertThat(badHeader.status()).isEqualTo(400);
        assertThat(badHeader.refusal()).contains("\"parameter\":\"Last-Event-ID\"");
        SseClient unknown = open(STREAM + "?cursor=7fffffffffffffff", null);
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.refusal()).contains("\"parameter\":\"cursor\"").contains("start again without it");
        SseClient badFilter = open(STREAM + "?state=closed", null);
        assertThat(badFilter.refusal()).contains("\"parameter\":\"state\"");

        for (int i = 0; i < 3; i++) {
            assertThat(open(STREAM, null).status()).isEqualTo(200);
        }
        await("three streams are open").atMost(TEN_SECONDS).until(() -> clientsOpen() == 3);
        SseClient fourth = open(STREAM, null);

        assertThat(fourth.status()).isEqualTo(503);
        assertThat(fourth.refusal()).contains("api.stream.maxClients");
        assertThat(api.metric("hvwatch_collector_api_requests_total{route=\"/api/v1/stream\",status=\"503\"}"))
                .isEqualTo(1);
    }

    @Test
    void aClientThatStopsReadingIsCutOffCountedAndResumesWithoutLoss() throws Exception {
        int total = 3000;
        List<Alert> alerts = variedAlerts("kvm-01", 1, total);
        byte[] received;
        try (Socket stalled = new Socket()) {
            // A small window, so that the collector's buffers, not the client's, fill up.
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress("127.0.0.1", api.collector().apiAddress().getPort()));
            stalled.getOutputStream().write(("GET " + STREAM + " HTTP/1.1\r\nHost: collector\r\n"
                    + "Authorization: Bearer " + ApiFixture.TOKEN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            await("the stream is counted").atMost(TEN_SECONDS).until(() -> clientsOpen() == 1);

            api.ingest("kvm-01", alerts);

            await("the stalled client is cut off").atMost(TEN_SECONDS).until(() ->
                    api.metric("hvwatch_collector_api_stream_disconnects_total{reason=\"slow\"}") == 1);
            assertThat(clientsOpen()).isZero();
            received = readToEnd(stalled.getInputStream());
        }

        List<String> ids = new ArrayList<>();
        List<String> data = new ArrayList<>();
        Matcher events = EVENT.matcher(new String(received, StandardCharsets.UTF_8));
        while (events.find()) {
            ids.add(events.group(1));
            data.add(events.group(2));
        }
        assertThat(data).as("what the client took before it was cut off").isNotEmpty().hasSizeLessThan(total)
                .containsExactlyElementsOf(alerts.subList(0, data.size()).stream().map(AlertJson::toLine).toList());

        SseClient resumed = open(STREAM, ids.get(ids.size() - 1));
        assertThat(resumed.next(total - data.size())).extracting(Event::data).containsExactlyElementsOf(
                alerts.subList(data.size(), total).stream().map(AlertJson::toLine).toList());
    }

    private SseClient open(String pathAndQuery, String lastEventId) throws Exception {
        SseClient client = SseClient.open(api.http(), api.uri(pathAndQuery), ApiFixture.TOKEN, lastEventId);
        clients.add(client);
        return client;
    }

    private int clientsOpen() {
        return (int) api.metric("hvwatch_collector_api_stream_clients");
    }

    private static byte[] readToEnd(InputStream in) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) > 0; ) {
            all.write(buffer, 0, n);
        }
        return all.toByteArray();
    }
}
