package dev.hvwatch.collector.testing;

import static org.awaitility.Awaitility.await;

import dev.hvwatch.collector.output.transport.KafkaTransport;
import dev.hvwatch.testkit.FreePort;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Time;

/**
 * A real Kafka broker in this JVM: KRaft, one node that is broker and controller, on 127.0.0.1, its log in
 * {@code dir}. Started as Kafka's own scripts do: the storage formatted by {@code kafka-storage format}, then the
 * server. (Kafka's KafkaClusterTestKit needs the clients' test jar, which is not published for 4.4.0.)
 */
public final class KafkaBroker implements AutoCloseable {
    private final Properties config = new Properties();
    private final String bootstrapServers;
    private KafkaRaftServer server;

    public KafkaBroker(Path dir) throws Exception {
        int port = FreePort.find();
        int controllerPort = FreePort.find();
        bootstrapServers = "127.0.0.1:" + port;
        config.put("process.roles", "broker,controller");
        config.put("node.id", "1");
        config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        config.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://" + bootstrapServers);
        config.put("controller.listener.names", "CONTROLLER");
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("log.dirs", dir.resolve("log").toString());
        config.put("offsets.topic.replication.factor", "1");
        config.put("offsets.topic.num.partitions", "1");
        config.put("transaction.state.log.replication.factor", "1");
        config.put("transaction.state.log.min.isr", "1");
        config.put("share.coordinator.state.topic.replication.factor", "1");
        config.put("share.coordinator.state.topic.min.isr", "1");
        config.put("group.initial.rebalance.delay.ms", "0");
        Path file = dir.resolve("server.properties");
        Files.createDirectories(dir);
        try (Writer out = Files.newBufferedWriter(file)) {
            config.store(out, "hvwatch test broker");
        }
        ByteArrayOutputStream formatLog = new ByteArrayOutputStream();
        int formatted = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
            file.toString()}, new PrintStream(formatLog, true, StandardCharsets.UTF_8));
        if (formatted != 0) {
            throw new IllegalStateException("kafka-storage format failed: " + formatLog);
        }
        start();
    }

    /** Starts the broker (again, after {@link #stop}) on the same ports and log directory. */
    public void start() throws Exception {
        server = new KafkaRaftServer(new KafkaConfig(config), Time.SYSTEM);
        server.startup();
        try (Admin admin = admin()) {
            // Ready once the broker answers with itself as a live node.
            admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
        }
    }

    /** Shuts the broker down, as an outage; {@link #start} brings it back with what it held. */
    public void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public void createTopic(String topic, int partitions) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }


    /** One record as a consumer sees it: the key, the dedup headers and the value. */
    public record Received(String key, String agent, long seq, String value) {
    }

    /** Reads the topic from the start until {@code atLeast} records arrived and {@code quiet} passed without more. */
    public List<Received> readAll(String topic, int atLeast, Duration quiet) {
        List<Received> records = new ArrayList<>();
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> consumer =
                     new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(Set.of(topic));
            long[] lastArrival = {System.nanoTime()};
            // On this thread: a consumer is not thread-safe. Its poll is the wait between two looks.
            await(atLeast + " records on " + topic + ", then " + quiet.toMillis() + " ms without more")
                    .atMost(Duration.ofSeconds(30)).pollInSameThread().pollInterval(Duration.ofMillis(1))
                    .until(() -> {
                        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                            records.add(new Received(record.key(), header(record, KafkaTransport.AGENT_HEADER),
                                    Long.parseLong(header(record, KafkaTransport.SEQ_HEADER)),
                                    new String(record.value(), StandardCharsets.UTF_8)));
                            lastArrival[0] = System.nanoTime();
                        }
                        return records.size() >= atLeast && System.nanoTime() - lastArrival[0] >= quiet.toNanos();
                    });
        }
        return records;
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        stop();
    }
}
