package dev.hvwatch.collector.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.testing.ApiFixture;
import dev.hvwatch.collector.testing.SseClient;
import dev.hvwatch.collector.testing.TestAlerts;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * API benchmarks against a real collector fed over mutual TLS (BENCHMARKS.md; run through {@code bench/api.sh}):
 * <ul>
 *   <li>{@code query N}: N alerts journaled by 4 agents, then the latency of pages of 100 and 1000 alerts at random
 *       cursors, of filtered pages that scan the most a page may scan, the rate of paging through everything, and
 *       the ingest rate of N more alerts without, then of N more with, a client paging through the journal
 *       meanwhile;
 *   <li>{@code stream CLIENTS N}: N alerts journaled to warm up, then CLIENTS live streams open while N more are
 *       journaled; the time until every client has every alert, and the events delivered per second.
 * </ul>
 * Requests go through {@link java.net.http.HttpClient} on loopback, over plain HTTP with a bearer token.
 */
public final class ApiBench {
    private static final int AGENTS = 4;
    private static final int SAMPLES = 300;

    private ApiBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("hvwatch-api-bench-");
        try (ApiFixture api = ApiFixture.start(dir, new CollectorConfig.Stream(1000, null, null))) {
            switch (args[0]) {
                case "query" -> query(api, Integer.parseInt(args[1]));
                case "stream" -> stream(api, Integer.parseInt(args[1]), Integer.parseInt(args[2]));
                default -> throw new IllegalArgumentException("unknown benchmark " + args[0]);
            }
        }
        System.exit(0);
    }

    private static void query(ApiFixture api, int n) throws Exception {
        long ingestNanos = ingest(api, n, 0);
        System.out.printf("journal: %d alerts from %d agents ingested in %.2f s = %.0f alerts/s%n", n, AGENTS,
                ingestNanos / 1e9, n / (ingestNanos / 1e9));

        List<String> cursors = new ArrayList<>();
        long walk = System.nanoTime();
        int seen = 0;
        for (JsonNode page = api.getJson("/api/v1/alerts?limit=1000"); ; ) {
            seen += page.get("alerts").size();
            cursors.add(page.get("next").asText());
            if (!page.get("more").asBoolean()) {
                break;
            }
            page = api.getJson("/api/v1/alerts?limit=1000&cursor=" + page.get("next").asText());
        }
        double walkSeconds = (System.nanoTime() - walk) / 1e9;
        System.out.printf("paging through all: %d alerts in %d pages of 1000 in %.2f s = %.0f alerts/s%n", seen,
                cursors.size(), walkSeconds, seen / walkSeconds);

        Random random = new Random(42);
        for (String query : List.of("limit=100", "limit=1000", "limit=100&host=kvm-00",
                "limit=100&rule=no-such-rule")) {
            long[] micros = new long[SAMPLES];
            for (int i = -SAMPLES / 3; i < SAMPLES; i++) {
                String cursor = cursors.get(random.nextInt(cursors.size()));
                long started = System.nanoTime();
                HttpResponse<String> response = api.get("/api/v1/alerts?" + query + "&cursor=" + cursor);
                long took = (System.nanoTime() - started) / 1000;
                if (response.statusCode() != 200) {
                    throw new IllegalStateException(query + ": " + response.body());
                }
                if (i >= 0) {
                    micros[i] = took;
                }
            }
            Arrays.sort(micros);
            System.out.printf("page %-28s p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %6.2f ms (%d requests at "
                    + "random cursors)%n", query, micros[SAMPLES / 2] / 1e3, micros[SAMPLES * 9 / 10] / 1e3,
                    micros[SAMPLES * 99 / 100] / 1e3, micros[SAMPLES - 1] / 1e3, SAMPLES);
        }

        long quiet = ingest(api, n, n);
        System.out.printf("ingest alone: %d more alerts in %.2f s = %.0f alerts/s%n", n, quiet / 1e9,
                n / (quiet / 1e9));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong pages = new AtomicLong();
        Thread reader = new Thread(() -> {
            while (!stop.get()) {
                try {
                    api.getJson("/api/v1/alerts?limit=1000&cursor="
                            + cursors.get((int) (pages.getAndIncrement() % cursors.size())));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        reader.start();
        long busy = ingest(api, n, 2 * n);
        stop.set(true);
        reader.join();
        System.out.printf("ingest while a client reads pages of 1000 back to back: %d more alerts in %.2f s = %.0f "
                + "alerts/s (%d pages read meanwhile)%n", n, busy / 1e9, n / (busy / 1e9), pages.get());
    }

    private static void stream(ApiFixture api, int clients, int n) throws Exception {
        // The same number journaled before the streams open, so that ingest runs warm while they are measured.
        long warmUp = ingest(api, n, 0);
        System.out.printf("warm-up: %d alerts journaled in %.2f s before the streams open%n", n, warmUp / 1e9);
        List<SseClient> streams = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            streams.add(SseClient.open(api.http(), api.uri("/api/v1/stream"), ApiFixture.TOKEN, null));
        }
        while (api.metric("hvwatch_collector_api_stream_clients") < clients) {
            Thread.sleep(10);
        }
        long started = System.nanoTime();
        Thread feeder = new Thread(() -> {
            try {
                long took = ingest(api, n, n);
                System.out.printf("ingest meanwhile: %d alerts in %.2f s = %.0f alerts/s%n", n, took / 1e9,
                        n / (took / 1e9));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        feeder.start();
        for (SseClient stream : streams) {
            for (int i = 0; i < n; i++) {
                stream.next();
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        feeder.join();
        System.out.printf("stream: %d alerts to each of %d clients in %.2f s = %.0f events/s delivered "
                + "(%.0f alerts/s journaled and fanned out), %.0f slow disconnects%n", n, clients, seconds,
                (double) n * clients / seconds, n / seconds,
                api.metric("hvwatch_collector_api_stream_disconnects_total{reason=\"slow\"}"));
        for (SseClient stream : streams) {
            stream.close();
        }
    }

    /** Journals n alerts over {@value #AGENTS} agent connections at once; seqs start after {@code offset}. */
    private static long ingest(ApiFixture api, int n, int offset) throws Exception {
        List<Thread> agents = new ArrayList<>();
        List<List<Alert>> batches = new ArrayList<>();
        for (int a = 0; a < AGENTS; a++) {
            batches.add(TestAlerts.variedAlerts("kvm-0" + a, offset / AGENTS + 1, (offset + n) / AGENTS));
        }
        long started = System.nanoTime();
        for (int a = 0; a < AGENTS; a++) {
            String agent = "kvm-0" + a;
            List<Alert> alerts = batches.get(a);
            Thread thread = new Thread(() -> {
                try {
                    api.ingest(agent, alerts);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            agents.add(thread);
            thread.start();
        }
        for (Thread thread : agents) {
            thread.join();
        }
        return System.nanoTime() - started;
    }

}
