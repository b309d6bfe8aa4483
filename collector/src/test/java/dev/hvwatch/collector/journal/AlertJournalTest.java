package dev.hvwatch.collector.journal;

import static dev.hvwatch.collector.testing.TestAlerts.alert;
import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static dev.hvwatch.collector.testing.TestAlerts.encoded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertJournalTest {
    @TempDir
    Path dir;

    @Test
    void journalsEachAgentsSeqsOnceInOrderAndSkipsTheRest() throws Exception {
        List<Alert> seen = new ArrayList<>();
        try (AlertJournal journal = AlertJournal.open(dir, false, seen::add)) {
            assertThat(journal.append(encoded(alerts("kvm-01", 1, 2)))).isEqualTo(new AlertJournal.Appended(2, 0));
            assertThat(journal.append(encoded(List.of(alert("kvm-01", 2), alert("kvm-02", 1), alert("kvm-01", 3),
                    alert("kvm-01", 3))))).isEqualTo(new AlertJournal.Appended(2, 2));

            assertThat(journal.lastSeq("kvm-01")).isEqualTo(3);
            assertThat(journal.lastSeq("kvm-02")).isEqualTo(1);
            assertThat(journal.lastSeq("kvm-03")).isZero();
        }
        assertThat(entries()).extracting(JournalEntry::agent, JournalEntry::seq).containsExactly(
                tuple("kvm-01", 1L), tuple("kvm-01", 2L), tuple("kvm-02", 1L), tuple("kvm-01", 3L));
        assertThat(entries().get(2).json()).isEqualTo(AlertJson.toBytes(alert("kvm-02", 1)));
        assertThat(entries().get(2).alert()).isEqualTo(alert("kvm-02", 1));
        assertThat(seen).extracting(Alert::id)
                .containsExactly("alert-kvm-01-1", "alert-kvm-01-2", "alert-kvm-02-1", "alert-kvm-01-3");
    }

    @Test
    void reopeningRecoversTheLastSeqOfEveryAgent() throws Exception {
        try (AlertJournal journal = AlertJournal.open(dir, true, alert -> { })) {
            journal.append(encoded(List.of(alert("kvm-01", 7), alert("kvm-02", 3))));
        }

        try (AlertJournal journal = AlertJournal.open(dir, false, alert -> { })) {
            assertThat(journal.lastSeq("kvm-01")).isEqualTo(7);
            assertThat(journal.lastSeq("kvm-02")).isEqualTo(3);
            assertThat(journal.append(encoded(alerts("kvm-01", 6, 8)))).isEqualTo(new AlertJournal.Appended(1, 2));
        }
        assertThat(entries()).hasSize(3);
    }

    @Test
    void aCursorResumesAfterTheLastEntryItCommitted() throws Exception {
        try (AlertJournal journal = AlertJournal.open(dir, false, alert -> { })) {
            journal.append(encoded(alerts("kvm-01", 1, 4)));
            try (JournalCursor cursor = journal.cursor("test")) {
                assertThat(cursor.next().seq()).isEqualTo(1);
                assertThat(cursor.next().seq()).isEqualTo(2);
                cursor.commit();
                assertThat(cursor.next().seq()).isEqualTo(3);
            }
        }

        try (AlertJournal journal = AlertJournal.open(dir, false, alert -> { });
             JournalCursor cursor = journal.cursor("test");
             JournalCursor other = journal.cursor("other")) {
            assertThat(cursor.next().seq()).isEqualTo(3);
            assertThat(cursor.next().seq()).isEqualTo(4);
            assertThat(cursor.next()).isNull();
            journal.append(encoded(alerts("kvm-01", 5, 5)));
            assertThat(cursor.next().seq()).isEqualTo(5);
            assertThat(other.next().seq()).as("each cursor has its own position").isEqualTo(1);
        }
    }

    private List<JournalEntry> entries() throws Exception {
        List<JournalEntry> entries = new ArrayList<>();
        JournalReader.forEach(dir, entries::add);
        return entries;
    }
}
