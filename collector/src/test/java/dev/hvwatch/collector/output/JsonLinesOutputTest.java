package dev.hvwatch.collector.output;

import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static dev.hvwatch.collector.testing.TestAlerts.encoded;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.testing.Eventually;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesOutputTest {
    @TempDir
    Path dir;

    @Test
    void copiesTheJournalAndAfterARestartContinuesWhereItStopped() throws Exception {
        Path file = dir.resolve("out/alerts.jsonl");
        try (AlertJournal journal = AlertJournal.open(dir.resolve("journal"), false, a -> { })) {
            journal.append(encoded(alerts("kvm-01", 1, 3)));
            try (JsonLinesOutput output = JsonLinesOutput.start(journal, file)) {
                awaitLines(output.file(), 3);
            }
            journal.append(encoded(alerts("kvm-01", 4, 5)));
            try (JsonLinesOutput output = JsonLinesOutput.start(journal, file)) {
                awaitLines(output.file(), 5);
            }
        }
        assertThat(Files.readAllLines(file)).isEqualTo(lines(alerts("kvm-01", 1, 5)));
    }

    @Test
    void linesWrittenBeforeACrashLostTheCursorCommitAreNotRepeated() throws Exception {
        Path file = dir.resolve("alerts.jsonl");
        try (AlertJournal journal = AlertJournal.open(dir.resolve("journal"), false, a -> { })) {
            journal.append(encoded(alerts("kvm-01", 1, 6)));
            // As if the output had written 1..4, then died before committing its cursor, mid-way through line 5.
            String torn = AlertJson.toLine(alerts("kvm-01", 5, 5).get(0)).substring(0, 30);
            Files.writeString(file, String.join("\n", lines(alerts("kvm-01", 1, 4))) + "\n" + torn);

            try (JsonLinesOutput output = JsonLinesOutput.start(journal, file)) {
                awaitLines(output.file(), 6);
                Thread.sleep(100);
            }
        }
        assertThat(Files.readAllLines(file)).isEqualTo(lines(alerts("kvm-01", 1, 6)));
    }

    private static List<String> lines(List<Alert> alerts) {
        return alerts.stream().map(AlertJson::toLine).collect(Collectors.toList());
    }

    private static void awaitLines(Path file, int count) throws InterruptedException {
        Eventually.await(count + " lines in " + file, () -> {
            try {
                return Files.exists(file) && Files.readAllLines(file).size() >= count
                        && Files.readString(file).endsWith("\n");
            } catch (IOException e) {
                return false;
            }
        });
    }
}
