package dev.hvwatch.collector.output;

import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static dev.hvwatch.collector.testing.TestAlerts.encoded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.awaitility.Durations.TEN_SECONDS;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.output.format.CanonicalJson;
import dev.hvwatch.collector.output.transport.KafkaTransport;
import dev.hvwatch.collector.testing.KafkaBroker;
import dev.hvwatch.collector.testing.KafkaBroker.Received;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Kafka output against an in-process KRaft broker. */
class KafkaOutputTest {
    private static final Duration QUIET = Duration.ofMillis(500);
    static KafkaBroker kafka;

    @TempDir
    static Path brokerDir;
    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = new KafkaBroker(brokerDir);
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void everyAlertArrivesExactlyOncePerAgentAndSeqKeyedByHost() throws Exception {
        kafka.createTopic("exactly-once", 3);
        try (AlertJournal journal = AlertJournal.open(dir, false, a -> { });
             Output output = start(journal, "exactly-once", new KafkaTransport(config("exactly-once")))) {
            journal.append(encoded(alerts("kvm-01", 1, 600)));
            journal.append(encoded(alerts("kvm-02", 1, 600)));
            await("lag 0").atMost(TEN_SECONDS).until(() -> output.lag() == 0);
            assertThat(output.delivered()).isEqualTo(1200);
            assertThat(output.errors()).isZero();
        }
        List<Received> received = kafka.readAll("exactly-once", 1200, QUIET);

        assertThat(received).hasSize(1200);
        assertThat(keys(received)).hasSize(1200);
        for (Received record : received) {
            Alert alert = AlertJson.parse(record.value());
            assertThat(record.key()).isEqualTo(alert.host());
            assertThat(record.agent()).isEqualTo(alert.agent());
            assertThat(record.seq()).isEqualTo(alert.seq());
        }
        // Keyed by host, so each host's alerts share a partition and keep their order.
        for (String host : List.of("kvm-01", "kvm-02")) {
            assertThat(received.stream().filter(r -> r.key().equals(host)).map(Received::seq).toList())
                    .isSorted().hasSize(600);
        }
    }

    @Test
    void anOutputRestartedMidStreamSkipsNothing() throws Exception {
        kafka.createTopic("restart", 2);
        try (AlertJournal journal = AlertJournal.open(dir, false, a -> { })) {
            journal.append(encoded(alerts("kvm-01", 1, 500)));
            long deliveredBeforeStop;
            try (Output output = start(journal, "restart", new KafkaTransport(config("restart")))) {
                await("some delivered").atMost(TEN_SECONDS).until(() -> output.delivered() >= 100);
                journal.append(encoded(alerts("kvm-01", 501, 700)));
            }
            try (Output output = start(journal, "restart", new KafkaTransport(config("restart")))) {
                journal.append(encoded(alerts("kvm-01", 701, 1000)));
                await("lag 0").atMost(TEN_SECONDS).until(() -> output.lag() == 0);
                deliveredBeforeStop = 1000 - output.delivered();
            }
            assertThat(deliveredBeforeStop).as("the first run stopped mid-stream").isBetween(100L, 999L);
        }
        List<Received> received = kafka.readAll("restart", 1000, QUIET);

        assertThat(keys(received)).as("every (agent, seq)").isEqualTo(expectedKeys("kvm-01", 1000));
        assertThat(received).as("a clean restart resumes at the committed cursor: no duplicate").hasSize(1000);
    }

    @Test
    void aBrokerOutageLosesNothingAndTheLagReturnsToZero() throws Exception {
        kafka.createTopic("outage", 2);
        OutputConfig.Kafka shortTimeout = new OutputConfig.Kafka(null, null, null, null,
                List.of(kafka.bootstrapServers()), "outage", Duration.ofSeconds(3), Map.of());
        try (AlertJournal journal = AlertJournal.open(dir, false, a -> { });
             Output output = start(journal, "outage", new KafkaTransport(shortTimeout))) {
            journal.append(encoded(alerts("kvm-01", 1, 200)));
            await("first 200 delivered").atMost(TEN_SECONDS).until(() -> output.lag() == 0);
            long errorsBefore = output.errors();
            kafka.stop();
            try {
                journal.append(encoded(alerts("kvm-01", 201, 400)));
                await("the output fails while the broker is down").atMost(TEN_SECONDS).until(
                        () -> output.errors() > errorsBefore);
                assertThat(output.lag()).as("nothing committed while the broker is down").isEqualTo(200);
            } finally {
                kafka.start();
            }
            await("lag 0 once the broker is back").atMost(TEN_SECONDS).until(() -> output.lag() == 0);
        }
        List<Received> received = kafka.readAll("outage", 400, QUIET);

        assertThat(keys(received)).as("every (agent, seq), duplicates aside").isEqualTo(expectedKeys("kvm-01", 400));
    }

    @Test
    void aBatchPublishedAgainAfterACrashBeforeTheCommitIsDeduplicatedByItsHeaders() throws Exception {
        kafka.createTopic("crash", 1);
        try (AlertJournal journal = AlertJournal.open(dir, false, a -> { })) {
            journal.append(encoded(alerts("kvm-01", 1, 300)));
            // Publishes its first batch (all 300), then fails as if the collector died before committing the cursor.
            KafkaTransport kafkaTransport = new KafkaTransport(config("crash"));
            Transport crashOnce = new Transport() {
                private int batches;

                @Override
                public void deliver(List<Formatted> batch) throws IOException {
                    kafkaTransport.deliver(batch);
                    if (++batches == 1) {
                        throw new IOException("died before the commit");
                    }
                }

                @Override
                public void close() {
                    kafkaTransport.close();
                }
            };
            try (Output output = start(journal, "crash", crashOnce)) {
                await("lag 0").atMost(TEN_SECONDS).until(() -> output.lag() == 0);
                assertThat(output.errors()).isEqualTo(1);
            }
        }
        List<Received> received = kafka.readAll("crash", 600, QUIET);

        assertThat(received).as("the batch twice").hasSize(2 * 300);
        assertThat(keys(received)).as("deduplicated by (agent, seq): every alert once")
                .isEqualTo(expectedKeys("kvm-01", 300));
    }

    private static Output start(AlertJournal journal, String name, Transport transport) {
        return Output.start(name, journal, new CanonicalJson(), transport, 100, Duration.ofMillis(50),
                Duration.ofMillis(500));
    }

    private static OutputConfig.Kafka config(String topic) {
        return new OutputConfig.Kafka(null, null, null, null, List.of(kafka.bootstrapServers()), topic,
                Duration.ofSeconds(10), Map.of());
    }

    private static Set<String> keys(List<Received> received) {
        return received.stream().map(r -> r.agent() + "/" + r.seq()).collect(Collectors.toSet());
    }

    private static Set<String> expectedKeys(String agent, int count) {
        Set<String> keys = new HashSet<>();
        for (int seq = 1; seq <= count; seq++) {
            keys.add(agent + "/" + seq);
        }
        return keys;
    }
}
