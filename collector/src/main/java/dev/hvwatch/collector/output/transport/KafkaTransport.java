package dev.hvwatch.collector.output.transport;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.output.Formatted;
import dev.hvwatch.collector.output.Transport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes each alert to one topic, keyed by host (so one host's alerts stay in order in one partition), with
 * headers {@value #AGENT_HEADER} and {@value #SEQ_HEADER} (decimal) by which consumers deduplicate: a batch is
 * published again whole after a failure or after a crash that lost the cursor's commit, and several collectors may
 * each publish an alert that an agent sent to both around a failover. The producer is idempotent with acks=all, so
 * its own retries add no duplicates; a batch counts as delivered once every record of it is acknowledged.
 */
public final class KafkaTransport implements Transport {
    public static final String AGENT_HEADER = "hvwatch.agent";
    public static final String SEQ_HEADER = "hvwatch.seq";

    private final OutputConfig.Kafka config;
    private KafkaProducer<String, byte[]> producer;

    private static final long ACK_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(1);

    public KafkaTransport(OutputConfig.Kafka config) {
        this.config = config;
    }

    @Override
    public void deliver(List<Formatted> batch) throws IOException {
        if (producer == null) {
            producer = new KafkaProducer<>(producerProperties(config));
        }
        try {
            List<Future<RecordMetadata>> sent = new ArrayList<>(batch.size());
            for (Formatted alert : batch) {
                ProducerRecord<String, byte[]> record =
                        new ProducerRecord<>(config.topic(), alert.alert().host(), alert.bytes());
                record.headers().add(AGENT_HEADER, alert.entry().agent().getBytes(StandardCharsets.UTF_8));
                record.headers().add(SEQ_HEADER, Long.toString(alert.entry().seq()).getBytes(StandardCharsets.UTF_8));
                Future<RecordMetadata> future = producer.send(record);
                if (future.isDone()) {
                    // Refused at once, e.g. no metadata within max.block.ms with the brokers gone: fail the batch
                    // now rather than have each of its records wait as long in turn.
                    future.get();
                }
                sent.add(future);
            }
            // Bounded by the delivery timeout plus a margin ourselves: with every broker gone an idempotent
            // producer can wait for a producer id without ever expiring its batches, and flush() would wait with it.
            long deadline = System.nanoTime() + config.deliveryTimeout().toNanos() + ACK_MARGIN_NANOS;
            for (Future<RecordMetadata> each : sent) {
                each.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (TimeoutException e) {
            closeProducer();
            throw new IOException("kafka " + config.bootstrapServers() + " topic " + config.topic() + ": batch not "
                    + "acknowledged within " + config.deliveryTimeout().toMillis() + " ms", e);
        } catch (ExecutionException | KafkaException e) {
            // A fresh producer next time: one that failed may be fenced or stuck on an expired batch.
            closeProducer();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IOException("kafka " + config.bootstrapServers() + " topic " + config.topic() + ": "
                    + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while publishing to kafka", e);
        }
    }

    @Override
    public void close() {
        closeProducer();
    }

    private void closeProducer() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
    }

    static Map<String, Object> producerProperties(OutputConfig.Kafka config) {
        long deliveryMs = config.deliveryTimeout().toMillis();
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(30_000, deliveryMs - 10));
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, deliveryMs);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "hvwatch-collector");
        props.putAll(config.properties());
        // What delivery rests on; the configuration refuses properties that set these.
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", config.bootstrapServers()));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) deliveryMs);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return props;
    }
}
