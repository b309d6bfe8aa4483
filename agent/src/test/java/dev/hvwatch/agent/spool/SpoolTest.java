package dev.hvwatch.agent.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.EncodedAlert;
import dev.hvwatch.protocol.Severity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.openhft.chronicle.core.time.SetTimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
    private static final SpoolLimits ROOMY = new SpoolLimits(1000, Duration.ofDays(1));
    private static final AlertFactory ALERTS = new AlertFactory("kvm-01");

    @TempDir
    Path dir;

    private final SetTimeProvider time = new SetTimeProvider("2026-03-01T10:00:00");

    @Test
    void numbersAlertsFromOneAndTheNumberingSurvivesAReopen() throws Exception {
        try (Spool spool = open(ROOMY)) {
            assertThat(spool.append(alert("a"))).isEqualTo(1);
            assertThat(spool.append(alert("b"))).isEqualTo(2);
        }
        try (Spool spool = open(ROOMY)) {
            assertThat(spool.lastSeq()).isEqualTo(2);
            assertThat(spool.append(alert("c"))).isEqualTo(3);
            SpoolReader reader = spool.reader();
            reader.seekAfter(0);
            assertThat(alerts(reader.next(10, 0))).extracting(Alert::message, Alert::seq)
                    .containsExactly(tuple("a", 1L),
                            tuple("b", 2L), tuple("c", 3L));
        }
    }

    @Test
    void acknowledgedAlertsAreSettledAndStaySettledAfterAReopen() throws Exception {
        try (Spool spool = open(ROOMY)) {
            append(spool, 5);
            spool.acknowledge(3);
            assertThat(spool.settledSeq()).isEqualTo(3);
            assertThat(spool.pending()).isEqualTo(2);
        }
        try (Spool spool = open(ROOMY)) {
            assertThat(spool.settledSeq()).isEqualTo(3);
            assertThat(spool.pending()).isEqualTo(2);
            SpoolReader reader = spool.reader();
            reader.seekAfter(spool.settledSeq());
            assertThat(alerts(reader.next(10, spool.settledSeq()))).extracting(Alert::seq).containsExactly(4L, 5L);
        }
    }

    @Test
    void beyondMaxAlertsTheOldestAreDroppedAndCounted() throws Exception {
        try (Spool spool = open(new SpoolLimits(5, Duration.ofDays(1)))) {
            SpoolReader reader = spool.reader();
            reader.seekAfter(0);
            append(spool, 8);

            assertThat(spool.enforceLimits()).isEqualTo(3);

            assertThat(spool.dropped()).isEqualTo(3);
            assertThat(spool.pending()).isEqualTo(5);
            assertThat(alerts(reader.next(10, spool.settledSeq()))).extracting(Alert::seq)
                    .containsExactly(4L, 5L, 6L, 7L, 8L);
            assertThat(spool.enforceLimits()).isZero();
        }
    }

    @Test
    void alertsOlderThanMaxAgeAreDroppedAndCounted() throws Exception {
        try (Spool spool = open(new SpoolLimits(1000, Duration.ofMinutes(30)))) {
            append(spool, 2);
            time.advanceMillis(Duration.ofMinutes(20).toMillis());
            append(spool, 1);
            time.advanceMillis(Duration.ofMinutes(15).toMillis());

            assertThat(spool.enforceLimits()).isEqualTo(2);
            assertThat(spool.settledSeq()).isEqualTo(2);
            assertThat(spool.dropped()).isEqualTo(2);
        }
    }

    @Test
    void filesHoldingOnlySettledAlertsAreDeletedAndTheNumberingOutlivesThem() throws Exception {
        try (Spool spool = open(ROOMY)) {
            append(spool, 2);
            time.advanceMillis(Duration.ofHours(1).toMillis());
            append(spool, 2);
            time.advanceMillis(Duration.ofHours(1).toMillis());
            assertThat(queueFiles()).hasSize(2);

            spool.acknowledge(2);
            spool.enforceLimits();
            assertThat(queueFiles()).hasSize(1);

            spool.acknowledge(4);
            time.advanceMillis(Duration.ofHours(1).toMillis());
            spool.enforceLimits();
            assertThat(spool.dropped()).isZero();
        }
        try (Spool spool = open(ROOMY)) {
            assertThat(spool.lastSeq()).isEqualTo(4);
            assertThat(spool.append(alert("next"))).isEqualTo(5);
        }
    }

    @Test
    void numberingBehindTheCollectorContinuesAfterItAndUnsentAlertsAreSpooledAgain() throws Exception {
        try (Spool spool = open(ROOMY)) {
            append(spool, 3);
            spool.acknowledge(1);

            assertThat(spool.continueAfter(40)).isEqualTo(2);

            assertThat(spool.settledSeq()).isEqualTo(40);
            assertThat(spool.pending()).isEqualTo(2);
            SpoolReader reader = spool.reader();
            reader.seekAfter(spool.settledSeq());
            assertThat(alerts(reader.next(10, spool.settledSeq()))).extracting(Alert::message, Alert::seq)
                    .containsExactly(tuple("alert 2", 41L), tuple("alert 3", 42L));
            assertThat(spool.continueAfter(42)).isZero();
        }
    }

    @Test
    void theOverflowAlarmReportsDropsAtMostOncePerInterval() throws Exception {
        List<Alert> raised = new ArrayList<>();
        try (Spool spool = open(new SpoolLimits(2, Duration.ofDays(1)))) {
            SpoolOverflowAlarm alarm = new SpoolOverflowAlarm(spool, ALERTS, a -> {
                raised.add(a);
                return 1; // as if spooled: the spool under test keeps only the alerts counted here
            }, Duration.ofSeconds(60));
            alarm.raiseIfDue(0);
            assertThat(raised).isEmpty();

            append(spool, 5);
            spool.enforceLimits();
            alarm.raiseIfDue(1);
            append(spool, 2);
            spool.enforceLimits();
            alarm.raiseIfDue(Duration.ofSeconds(30).toNanos());
            assertThat(raised).hasSize(1);
            alarm.raiseIfDue(Duration.ofSeconds(61).toNanos());

            assertThat(raised).hasSize(2);
            assertThat(raised).allSatisfy(a -> {
                assertThat(a.rule()).isEqualTo(SpoolOverflowAlarm.RULE);
                assertThat(a.category()).isEqualTo(Category.AGENT);
            });
            assertThat(raised).extracting(a -> a.evidence().get("dropped")).containsExactly(3L, 2L);
        }
    }

    /**
     * The finding: after a fault while the disk was full, the spool held zero-filled excerpts that were discarded
     * as "not a canonical alert", uncounted. Here such excerpts (and one whose JSON is garbage) are written into
     * the queue the spool uses; every reader path skips them and each is counted once as lost.
     */
    @Test
    void excerptsThatHoldNoAlertAreCountedOnceAsLostAndReadPast() throws Exception {
        try (Spool spool = open(ROOMY)) {
            append(spool, 2);
        }
        try (SingleChronicleQueue raw = SingleChronicleQueueBuilder.binary(dir).rollCycle(RollCycles.FAST_HOURLY)
                .timeProvider(time).build(); ExcerptAppender appender = raw.createAppender()) {
            for (int i = 0; i < 3; i++) {
                try (DocumentContext dc = appender.writingDocument()) {
                    dc.wire().bytes().write(new byte[40]); // a zero-filled excerpt
                }
            }
            try (DocumentContext dc = appender.writingDocument()) {
                new SpoolRecord(3, 0, "{not json".getBytes(StandardCharsets.UTF_8)).writeTo(dc.wire().bytes());
            }
        }
        try (Spool spool = open(ROOMY)) {
            assertThat(spool.lastSeq()).as("numbering continues after the last readable seq").isEqualTo(3);
            append(spool, 1);
            SpoolReader reader = spool.reader();
            reader.seekAfter(0);
            assertThat(alerts(reader.next(100, 0))).extracting(Alert::seq).containsExactly(1L, 2L, 4L);
            reader.seekAfter(0);
            reader.next(100, 0);
            assertThat(spool.unreadable()).isEqualTo(4);
            assertThat(spool.dropped()).isEqualTo(4);
        }
    }

    private Spool open(SpoolLimits limits) throws IOException {
        return Spool.open(dir, limits, time);
    }

    private List<Path> queueFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".cq4")).toList();
        }
    }

    private static void append(Spool spool, int count) {
        for (int i = 0; i < count; i++) {
            spool.append(alert("alert " + (spool.lastSeq() + 1)));
        }
    }

    private static List<Alert> alerts(List<EncodedAlert> encoded) {
        return encoded.stream().map(EncodedAlert::alert).toList();
    }

    private static Alert alert(String message) {
        return ALERTS.create(new AlertFactory.Draft("test-rule", "Test", Severity.LOW, Category.POSTURE,
                AlertState.FIRING, null, null, null, List.of(), Map.of(), message), 0);
    }
}
