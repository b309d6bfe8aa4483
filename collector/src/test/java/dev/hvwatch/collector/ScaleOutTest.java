package dev.hvwatch.collector;

import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.awaitility.Durations.TEN_SECONDS;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.output.Output;
import dev.hvwatch.collector.testing.KafkaBroker;
import dev.hvwatch.collector.testing.KafkaBroker.Received;
import dev.hvwatch.collector.testing.TestAgent;
import dev.hvwatch.collector.testing.TestPki;
import dev.hvwatch.protocol.tls.TlsContexts;
import dev.hvwatch.protocol.wire.Frame;
import io.netty.handler.ssl.SslContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Beyond one collector (docs/outputs-and-api.md, "Scale-out"): two collectors, an agent that fails over from the first to the second
 * mid-stream, both publishing to one Kafka topic, and a consumer that deduplicates by (agent, seq) and sees every
 * alert.
 */
class ScaleOutTest {
    private static final String AGENT = "kvm-01";
    private static final String TOPIC = "hvwatch-alerts";

    @TempDir
    Path dir;

    @Test
    void anAgentFailingOverBetweenCollectorsReachesTheTopicWithEveryAlert() throws Exception {
        try (KafkaBroker kafka = new KafkaBroker(dir.resolve("kafka"))) {
            kafka.createTopic(TOPIC, 3);
            TestPki pki = new TestPki(dir.resolve("pki"));
            SslContext agentTls = TlsContexts.client(pki.agent(AGENT));
            CollectorConfig configA = config(pki, dir.resolve("a"), kafka);
            CollectorConfig configB = config(pki, dir.resolve("b"), kafka);

            Collector a = new Collector(configA);
            try (Collector b = new Collector(configB)) {
                int portA = a.start();
                int portB = b.start();
                long acked;
                try (TestAgent toA = new TestAgent(agentTls, portA)) {
                    assertThat(toA.hello(AGENT)).isEqualTo(new Frame.Welcome(0));
                    toA.send(Frame.Alerts.of(alerts(AGENT, 1, 300)));
                    assertThat(toA.next()).isEqualTo(new Frame.Ack(300));
                    acked = 300;
                    // In flight when collector A goes away: A may journal some of these, the agent never hears.
                    toA.send(Frame.Alerts.of(alerts(AGENT, 301, 400)));
                    a.close();
                }
                try (TestAgent toB = new TestAgent(agentTls, portB)) {
                    assertThat(toB.hello(AGENT)).isEqualTo(new Frame.Welcome(0));
                    // The agent resumes after what it saw acknowledged, so B gets the in-flight alerts again.
                    toB.send(Frame.Alerts.of(alerts(AGENT, acked + 1, 600)));
                    assertThat(toB.next()).isEqualTo(new Frame.Ack(600));
                }
                Output outputB = b.outputs().all().get(0);
                await("B published its journal").atMost(TEN_SECONDS).until(() -> outputB.lag() == 0);
                assertThat(scrape(b)).contains("hvwatch_output_lag_alerts{output=\"kafka\"} 0.0",
                        "hvwatch_output_up{output=\"kafka\"} 1.0", "hvwatch_output_errors_total{output=\"kafka\"} 0.0",
                        "hvwatch_output_delivered_alerts_total{output=\"kafka\"} " + outputB.delivered() + ".0");
            }
            // A comes back (same journal, same cursor) and publishes what it journaled but had not published.
            try (Collector again = new Collector(configA)) {
                again.start();
                Output outputA = again.outputs().all().get(0);
                await("A published its journal").atMost(TEN_SECONDS).until(() -> outputA.lag() == 0);
            }

            List<Received> received = kafka.readAll(TOPIC, 600, Duration.ofMillis(500));
            Set<Long> seqs = received.stream().filter(r -> r.agent().equals(AGENT)).map(Received::seq)
                    .collect(Collectors.toCollection(TreeSet::new));
            assertThat(seqs).as("deduplicated by (agent, seq): every alert")
                    .isEqualTo(LongStream.rangeClosed(1, 600).boxed().collect(Collectors.toCollection(TreeSet::new)));
            System.out.printf("scale-out: %d records for 600 alerts (%d published by both collectors)%n",
                    received.size(), received.size() - 600);
        }
    }

    private static String scrape(Collector collector) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + collector.apiAddress().getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static CollectorConfig config(TestPki pki, Path dir, KafkaBroker kafka) {
        return pki.collectorConfig(dir.resolve("journal")).withOutputs(Map.of("kafka",
                new OutputConfig.Kafka(null, null, null, null, List.of(kafka.bootstrapServers()), TOPIC,
                        Duration.ofSeconds(10), Map.of())));
    }
}
