package dev.hvwatch.collector.output;

import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static dev.hvwatch.collector.testing.TestAlerts.encoded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.awaitility.Durations.TEN_SECONDS;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.config.OutputConfig.Format;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.output.format.AlertFormat;
import dev.hvwatch.collector.output.transport.WebhookTransport;
import dev.hvwatch.protocol.AlertJson;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook output against a real HTTP server on 127.0.0.1 that can be told to fail. */
class WebhookOutputTest {
    @TempDir
    Path dir;
    HttpServer server;
    final List<JsonNode> batches = new CopyOnWriteArrayList<>();
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    final AtomicBoolean down = new AtomicBoolean();

    @BeforeEach
    void startServer() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
            boolean json = "application/json".equals(exchange.getRequestHeaders().getFirst("Content-Type"));
            int status = down.get() ? 503 : json ? 200 : 415;
            if (status == 200) {
                batches.add(AlertJson.mapper().readTree(body));
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    @Test
    void postsJsonBatchesWithTheBearerTokenAndAfterAnOutageLosesNothing() throws Exception {
        Files.writeString(dir.resolve("token"), "s3cr3t-token\n");
        OutputConfig.Webhook config = new OutputConfig.Webhook(Format.OCSF, null, 50, null,
                URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook"), dir.resolve("token"),
                null, Duration.ofSeconds(2));
        try (AlertJournal journal = AlertJournal.open(dir.resolve("journal"), false, a -> { });
             Output output = Output.start("soar", journal, AlertFormat.of(config), new WebhookTransport(config),
                     config.batchSize(), Duration.ofMillis(20), Duration.ofMillis(200))) {
            journal.append(encoded(alerts("kvm-01", 1, 120)));
            await("120 delivered").atMost(TEN_SECONDS).until(() -> output.delivered() == 120);

            down.set(true);
            journal.append(encoded(alerts("kvm-01", 121, 200)));
            await("retries while down").atMost(TEN_SECONDS).until(() -> output.errors() >= 3);
            assertThat(output.up()).isFalse();
            assertThat(output.lag()).isEqualTo(80);

            down.set(false);
            await("lag 0").atMost(TEN_SECONDS).until(() -> output.lag() == 0);
            assertThat(output.up()).isTrue();
            assertThat(output.delivered()).isEqualTo(200);
        }
        assertThat(authorizations).containsOnly("Bearer s3cr3t-token");
        List<Long> seqs = batches.stream().flatMap(batch -> {
            assertThat(batch.isArray()).isTrue();
            assertThat(batch.size()).isBetween(1, 120);
            List<Long> inBatch = new java.util.ArrayList<>();
            batch.forEach(finding -> {
                assertThat(finding.get("class_uid").asInt()).isEqualTo(2004);
                inBatch.add(finding.at("/unmapped/seq").asLong());
            });
            return inBatch.stream();
        }).toList();
        assertThat(seqs).as("every alert once, in order").isEqualTo(
                java.util.stream.LongStream.rangeClosed(1, 200).boxed().toList());
    }
}
