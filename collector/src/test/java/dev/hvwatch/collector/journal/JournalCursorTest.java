package dev.hvwatch.collector.journal;

import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static dev.hvwatch.collector.testing.TestAlerts.encoded;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalCursorTest {
    @TempDir
    Path dir;

    @Test
    void lagCountsWhatIsNotCommittedAcrossReopeningTheCursorAndTheJournal() throws Exception {
        try (AlertJournal journal = AlertJournal.open(dir, false, a -> { })) {
            journal.append(encoded(alerts("kvm-01", 1, 5)));
            try (JournalCursor cursor = journal.cursor("test")) {
                assertThat(cursor.lag()).isEqualTo(5);
                assertThat(cursor.next().seq()).isEqualTo(1);
                assertThat(cursor.next().seq()).isEqualTo(2);
                assertThat(cursor.lag()).as("read, not committed").isEqualTo(5);
                cursor.commit();
                assertThat(cursor.lag()).isEqualTo(3);
            }
            try (JournalCursor cursor = journal.cursor("test")) {
                assertThat(cursor.lag()).isEqualTo(3);
                assertThat(cursor.next().seq()).isEqualTo(3);
            }
        }
        try (AlertJournal journal = AlertJournal.open(dir, false, a -> { })) {
            assertThat(journal.entries()).isEqualTo(5);
            journal.append(encoded(alerts("kvm-02", 1, 2)));
            try (JournalCursor cursor = journal.cursor("test")) {
                assertThat(cursor.lag()).isEqualTo(5);
                for (int i = 0; i < 5; i++) {
                    cursor.next();
                }
                assertThat(cursor.next()).isNull();
                cursor.commit();
                assertThat(cursor.lag()).isZero();
            }
        }
    }
}
