package dev.hvwatch.collector.journal;

import static dev.hvwatch.collector.testing.TestAlerts.alert;
import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesJournalTest {
    @TempDir
    Path dir;

    @Test
    void appendsOneCanonicalLinePerAlertAndSkipsSeqsAlreadyJournaled() throws IOException {
        Path file = dir.resolve("sub/alerts.jsonl");
        List<Alert> seen = new ArrayList<>();
        try (JsonLinesJournal journal = JsonLinesJournal.open(file, seen::add)) {
            assertThat(journal.append(alerts("kvm-01", 1, 2))).isEqualTo(new JsonLinesJournal.Appended(2, 0));
            assertThat(journal.append(List.of(alert("kvm-01", 2), alert("kvm-02", 1), alert("kvm-01", 3),
                    alert("kvm-01", 3)))).isEqualTo(new JsonLinesJournal.Appended(2, 2));

            assertThat(journal.lastSeq("kvm-01")).isEqualTo(3);
            assertThat(journal.lastSeq("kvm-02")).isEqualTo(1);
            assertThat(journal.lastSeq("kvm-03")).isZero();
        }
        assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo(
                lines(alert("kvm-01", 1), alert("kvm-01", 2), alert("kvm-02", 1), alert("kvm-01", 3)));
        assertThat(seen).extracting(Alert::id)
                .containsExactly("alert-kvm-01-1", "alert-kvm-01-2", "alert-kvm-02-1", "alert-kvm-01-3");
    }

    @Test
    void reopeningRecoversTheLastSeqOfEveryAgent() throws IOException {
        Path file = dir.resolve("alerts.jsonl");
        try (JsonLinesJournal journal = JsonLinesJournal.open(file, alert -> { })) {
            journal.append(List.of(alert("kvm-01", 7), alert("kvm-02", 3)));
        }

        try (JsonLinesJournal journal = JsonLinesJournal.open(file, alert -> { })) {
            assertThat(journal.lastSeq("kvm-01")).isEqualTo(7);
            assertThat(journal.lastSeq("kvm-02")).isEqualTo(3);
            assertThat(journal.append(alerts("kvm-01", 6, 8))).isEqualTo(new JsonLinesJournal.Appended(1, 2));
        }
        assertThat(Files.readAllLines(file)).hasSize(3);
    }

    @Test
    void incompleteLastLineLeftByACrashIsCutOff() throws IOException {
        Path file = dir.resolve("alerts.jsonl");
        String torn = AlertJson.toLine(alert("kvm-01", 2)).substring(0, 40);
        Files.writeString(file, lines(alert("kvm-01", 1)) + torn);

        try (JsonLinesJournal journal = JsonLinesJournal.open(file, alert -> { })) {
            assertThat(journal.lastSeq("kvm-01")).isEqualTo(1);
            journal.append(List.of(alert("kvm-01", 2)));
        }

        assertThat(Files.readString(file)).isEqualTo(lines(alert("kvm-01", 1), alert("kvm-01", 2)));
    }

    @Test
    void corruptLineInsideTheJournalStopsTheOpenNamingTheLine() throws IOException {
        Path file = dir.resolve("alerts.jsonl");
        Files.writeString(file, lines(alert("kvm-01", 1)) + "{\"id\":\"broken\"}\n");

        assertThatThrownBy(() -> JsonLinesJournal.open(file, alert -> { }))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("journal " + file + " line 2: not a canonical alert");
    }

    @Test
    void aFailingListenerDoesNotUndoTheAppend() throws IOException {
        Path file = dir.resolve("alerts.jsonl");
        try (JsonLinesJournal journal = JsonLinesJournal.open(file, alert -> {
            throw new IllegalStateException("listener bug");
        })) {
            assertThat(journal.append(alerts("kvm-01", 1, 2)).written()).isEqualTo(2);
        }
        assertThat(Files.readAllLines(file)).hasSize(2);
    }

    private static String lines(Alert... alerts) {
        StringBuilder text = new StringBuilder();
        for (Alert alert : alerts) {
            text.append(AlertJson.toLine(alert)).append('\n');
        }
        return text.toString();
    }
}
