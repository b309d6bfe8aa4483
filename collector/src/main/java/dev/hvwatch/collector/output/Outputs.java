package dev.hvwatch.collector.output;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.output.format.AlertFormat;
import dev.hvwatch.collector.output.transport.FileTransport;
import dev.hvwatch.collector.output.transport.KafkaTransport;
import dev.hvwatch.collector.output.transport.SyslogTransport;
import dev.hvwatch.collector.output.transport.WebhookTransport;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The configured outputs, each started on its own thread, and their series: {@code hvwatch_output_lag_alerts},
 * {@code hvwatch_output_delivered_alerts_total}, {@code hvwatch_output_errors_total} and {@code hvwatch_output_up},
 * each labelled {@code output}.
 */
public final class Outputs implements MeterBinder, Closeable {
    private final List<Output> running;

    private Outputs(List<Output> running) {
        this.running = running;
    }

    /** Starts every output of {@code configs}; if one cannot start, those already started are stopped. */
    public static Outputs start(AlertJournal journal, Map<String, OutputConfig> configs) throws IOException {
        Outputs outputs = new Outputs(new ArrayList<>());
        try {
            for (Map.Entry<String, OutputConfig> each : configs.entrySet()) {
                OutputConfig config = each.getValue();
                outputs.running.add(Output.start(each.getKey(), journal, AlertFormat.of(config), transport(config),
                        config.batchSize(), config.retry().initial(), config.retry().max()));
            }
            return outputs;
        } catch (IOException | RuntimeException e) {
            outputs.close();
            throw new IOException("output " + configs.keySet().stream().skip(outputs.running.size()).findFirst()
                    .orElse("?") + ": " + e.getMessage(), e);
        }
    }

    static Transport transport(OutputConfig config) throws IOException {
        if (config instanceof OutputConfig.File file) {
            return new FileTransport(file.path(), file.rotate(), Clock.systemUTC());
        } else if (config instanceof OutputConfig.Syslog syslog) {
            return new SyslogTransport(syslog);
        } else if (config instanceof OutputConfig.Kafka kafka) {
            return new KafkaTransport(kafka);
        } else {
            return new WebhookTransport((OutputConfig.Webhook) config);
        }
    }

    public List<Output> all() {
        return List.copyOf(running);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Output output : running) {
            Gauge.builder("hvwatch.output.lag.alerts", output, Output::lag)
                    .description("Journaled alerts the output has not delivered yet")
                    .tag("output", output.name()).register(registry);
            FunctionCounter.builder("hvwatch.output.delivered.alerts", output, Output::delivered)
                    .description("Alerts the output delivered since the collector started")
                    .tag("output", output.name()).register(registry);
            FunctionCounter.builder("hvwatch.output.errors", output, Output::errors)
                    .description("Failed deliveries; each batch is retried until it is delivered")
                    .tag("output", output.name()).register(registry);
            FunctionCounter.builder("hvwatch.output.skipped.alerts", output, Output::skipped)
                    .description("Journal entries skipped because they are not readable alerts (a damaged journal); "
                            + "each is logged")
                    .tag("output", output.name()).register(registry);
            Gauge.builder("hvwatch.output.up", output, o -> o.up() ? 1 : 0)
                    .description("1 while the output's last delivery succeeded, 0 while it is retrying")
                    .tag("output", output.name()).register(registry);
        }
    }

    @Override
    public void close() throws IOException {
        IOException failed = null;
        for (Output output : running) {
            try {
                output.close();
            } catch (IOException e) {
                failed = failed == null ? e : failed;
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
