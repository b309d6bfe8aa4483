package dev.hvwatch.collector.journal;

import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static dev.hvwatch.collector.testing.TestAlerts.encoded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.testkit.Tmpfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal on a real tmpfs filled up: appends are refused with a reason before a mapped write could fault, a
 * journal opened on the full disk is unavailable instead of failing, and it takes alerts again once there is room,
 * having lost none it took. And an entry that cannot be read is skipped and counted, never dropped unnoticed.
 */
class JournalDiskFullTest {
    private static final long MIN_FREE = 1L << 20;

    @TempDir
    Path dir;

    @Test
    void aFullDiskRefusesBatchesWithAReasonAndTheJournalCarriesOnOnceThereIsRoom() throws Exception {
        try (Tmpfs disk = Tmpfs.mount(dir.resolve("disk"), 8L << 20)) {
            Path journalDir = disk.path().resolve("journal");
            long taken;
            try (AlertJournal journal = AlertJournal.open(journalDir, false, MIN_FREE, a -> { })) {
                disk.fill(disk.path().resolve("filler"), MIN_FREE + (256 << 10));
                long seq = 0;
                JournalUnavailableException refused = null;
                while (refused == null) {
                    try {
                        journal.append(encoded(alerts("kvm-01", seq + 1, seq + 100)));
                        seq += 100;
                    } catch (JournalUnavailableException e) {
                        refused = e;
                    }
                }
                taken = seq;
                assertThat(refused.getMessage()).startsWith("disk full: ").contains("journal.minFreeBytes");
                assertThat(journal.unavailableReason()).startsWith("disk full: ");
                assertThat(journal.lastSeq("kvm-01")).isEqualTo(taken);
                assertThat(taken).isPositive();

                // Still full: retrying changes nothing. With room, the open journal takes alerts again.
                assertThat(journal.tryOpen()).isFalse();
                Files.delete(disk.path().resolve("filler"));
                assertThat(journal.tryOpen()).isTrue();
                assertThat(journal.unavailableReason()).isNull();
                journal.append(encoded(alerts("kvm-01", seq + 1, seq + 100)));
                taken = seq + 100;
                assertThat(journal.lastSeq("kvm-01")).isEqualTo(taken);
            }
            disk.fill(disk.path().resolve("filler"), MIN_FREE + (256 << 10));
            disk.fill(disk.path().resolve("filler-2"), 0);

            try (AlertJournal journal = AlertJournal.open(journalDir, false, MIN_FREE, a -> { })) {
                assertThat(journal.isOpen()).isFalse();
                assertThat(journal.unavailableReason()).startsWith("disk full: 0 bytes free");
                long journaled = taken;
                assertThatThrownBy(() -> journal.append(encoded(alerts("kvm-01", journaled + 1, journaled + 1))))
                        .isInstanceOf(JournalUnavailableException.class);
                assertThat(journal.tryOpen()).isFalse();

                Files.delete(disk.path().resolve("filler"));
                Files.delete(disk.path().resolve("filler-2"));
                assertThat(journal.tryOpen()).isTrue();
                assertThat(journal.unavailableReason()).isNull();
                assertThat(journal.lastSeq("kvm-01")).isEqualTo(journaled);
                journal.append(encoded(alerts("kvm-01", journaled + 1, journaled + 100)));
                assertThat(seqs(journal)).hasSize((int) journaled + 100).doesNotHaveDuplicates();
            }
        }
    }

    @Test
    void anEntryThatCannotBeReadIsSkippedAndCounted() throws Exception {
        try (AlertJournal journal = AlertJournal.open(dir, false, a -> { })) {
            journal.append(encoded(alerts("kvm-01", 1, 2)));
        }
        try (SingleChronicleQueue queue = AlertJournal.builder(dir).build();
             ExcerptAppender appender = queue.createAppender();
             DocumentContext dc = appender.writingDocument()) {
            // An agent, a seq, then a JSON length beyond what the excerpt holds: a write cut short.
            dc.wire().bytes().writeUtf8("kvm-01").writeLong(3).writeStopBit(500).write(new byte[10]);
        }
        try (AlertJournal journal = AlertJournal.open(dir, false, a -> { })) {
            journal.append(encoded(alerts("kvm-01", 4, 4)));

            assertThat(journal.unreadableEntries()).isEqualTo(1);
            assertThat(journal.lastSeq("kvm-01")).isEqualTo(4);
            assertThat(seqs(journal)).containsExactly(1L, 2L, 4L);
            assertThat(journal.unreadableEntries()).as("counted once, however often read").isEqualTo(1);
        }
    }

    private static List<Long> seqs(AlertJournal journal) {
        List<Long> seqs = new ArrayList<>();
        try (JournalScanner scanner = journal.scanner()) {
            for (JournalEntry entry = scanner.next(); entry != null; entry = scanner.next()) {
                seqs.add(entry.seq());
            }
        }
        return seqs;
    }
}
