package dev.hvwatch.collector.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.testkit.ConfigKeys;
import dev.hvwatch.testkit.DocRegion;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The collector's configuration reference (docs/configuration.md) is generated from its configuration records:
 * every key with its default, and for each output type the keys it takes. A key the code has and the table lacks,
 * a changed default or a key without a meaning fails here.
 */
class CollectorReferenceDocsTest {
    private static final String REGENERATE = "mvn -B -pl collector -am test -Dtest=CollectorReferenceDocsTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false";
    private static final String OUTPUT = "outputs.NAME.";

    record Table(String region, List<ConfigKeys.Key> keys) {
        @Override
        public String toString() {
            return region;
        }
    }

    /** The top-level keys, then one table per output type, each from an output that has its required keys. */
    static List<Table> tables() {
        return List.of(
                new Table("collector-config", ConfigKeys.of("", CollectorConfig.class, null)),
                new Table("collector-output-file", ConfigKeys.of(OUTPUT, OutputConfig.File.class,
                        new OutputConfig.File(null, null, null, null, Path.of("alerts.jsonl"), null))),
                new Table("collector-output-syslog", ConfigKeys.of(OUTPUT, OutputConfig.Syslog.class,
                        new OutputConfig.Syslog(null, null, null, null, "siem.example.net:6514", null,
                                new OutputConfig.ClientTls(Path.of("ca.pem"), null, null), null))),
                new Table("collector-output-kafka", ConfigKeys.of(OUTPUT, OutputConfig.Kafka.class,
                        new OutputConfig.Kafka(null, null, null, null, List.of("kafka-1:9092"), "hvwatch-alerts", null,
                                null))),
                new Table("collector-output-webhook", ConfigKeys.of(OUTPUT, OutputConfig.Webhook.class,
                        new OutputConfig.Webhook(null, null, null, null, URI.create("https://soar.example.net/hook"),
                                null, null, null))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tables")
    void configurationListsEveryKeyWithItsDefaultAndMeaning(Table table) {
        DocRegion region = DocRegion.of("docs/configuration.md", table.region());

        region.assertHolds(ConfigKeys.markdown(table.keys(), region.lastCellByFirst()), REGENERATE);
        assertThat(region.lastCellByFirst()).as("every key in %s has a meaning", region.file())
                .allSatisfy((key, meaning) -> assertThat(meaning).as(key).isNotBlank());
    }
}
