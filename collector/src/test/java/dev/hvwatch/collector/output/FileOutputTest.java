package dev.hvwatch.collector.output;

import static dev.hvwatch.collector.testing.TestAlerts.alerts;
import static dev.hvwatch.collector.testing.TestAlerts.encoded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.awaitility.Durations.TEN_SECONDS;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.output.format.AlertFormat;
import dev.hvwatch.collector.output.format.CanonicalJson;
import dev.hvwatch.collector.output.format.Cef;
import dev.hvwatch.collector.output.transport.FileTransport;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileOutputTest {
    private static final OutputConfig.Rotate NEVER = new OutputConfig.Rotate(null, null, null);

    @TempDir
    Path dir;

    @Test
    void copiesTheJournalAndAfterARestartContinuesWhereItStopped() throws Exception {
        Path file = dir.resolve("out/alerts.jsonl");
        try (AlertJournal journal = AlertJournal.open(dir.resolve("journal"), false, a -> { })) {
            journal.append(encoded(alerts("kvm-01", 1, 3)));
            try (Output output = start(journal, new CanonicalJson(), file, NEVER, Clock.systemUTC())) {
                awaitLines(file, 3);
                await("lag 0").atMost(TEN_SECONDS).until(() -> output.lag() == 0);
                assertThat(output.delivered()).isEqualTo(3);
            }
            journal.append(encoded(alerts("kvm-01", 4, 5)));
            try (Output output = start(journal, new CanonicalJson(), file, NEVER, Clock.systemUTC())) {
                // The restarted cursor knows it owes exactly the two alerts journaled while it was stopped.
                assertThat(output.lag()).isBetween(0L, 2L);
                awaitLines(file, 5);
                await("lag 0").atMost(TEN_SECONDS).until(() -> output.lag() == 0);
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

            try (Output output = start(journal, new CanonicalJson(), file, NEVER, Clock.systemUTC())) {
                awaitLines(file, 6);
                await("lag 0").atMost(TEN_SECONDS).until(() -> output.lag() == 0);
                assertThat(output.delivered()).as("alerts 5 and 6 only").isEqualTo(2);
            }
        }
        assertThat(Files.readAllLines(file)).isEqualTo(lines(alerts("kvm-01", 1, 6)));
    }

    @Test
    void anyFormatIsRecognisedInTheFileAfterACrash() throws Exception {
        Path file = dir.resolve("alerts.cef");
        try (AlertJournal journal = AlertJournal.open(dir.resolve("journal"), false, a -> { })) {
            journal.append(encoded(alerts("kvm-01", 1, 4)));
            Files.writeString(file, cef(alerts("kvm-01", 1, 2)).stream().collect(Collectors.joining("\n", "", "\n")));

            try (Output output = start(journal, new Cef(), file, NEVER, Clock.systemUTC())) {
                awaitLines(file, 4);
                await("lag 0").atMost(TEN_SECONDS).until(() -> output.lag() == 0);
            }
        }
        assertThat(Files.readAllLines(file)).isEqualTo(cef(alerts("kvm-01", 1, 4)));
    }

    @Test
    void rotatesBySizeBetweenBatchesAndKeepsTheNewestFiles() throws Exception {
        Path file = dir.resolve("alerts.jsonl");
        int lineBytes = AlertJson.toBytes(alerts("kvm-01", 1, 1).get(0)).length + 1;
        OutputConfig.Rotate rotate = new OutputConfig.Rotate((long) lineBytes * 3, null, 2);
        MutableClock clock = new MutableClock();
        try (AlertJournal journal = AlertJournal.open(dir.resolve("journal"), false, a -> { })) {
            try (Output output = start(journal, new CanonicalJson(), file, rotate, clock)) {
                for (long seq = 1; seq <= 8; seq++) {
                    clock.advance(Duration.ofSeconds(1));
                    journal.append(encoded(alerts("kvm-01", seq, seq)));
                    long delivered = seq;
                    await("alert " + seq + " delivered").atMost(TEN_SECONDS)
                            .until(() -> output.delivered() == delivered);
                }
            }
        }
        List<Path> rotated = rotatedFiles(file);
        assertThat(rotated).as("keep: 2").hasSize(2);
        List<String> all = new ArrayList<>();
        for (Path each : rotated) {
            List<String> fileLines = Files.readAllLines(each);
            assertThat(fileLines).hasSize(3);
            all.addAll(fileLines);
        }
        all.addAll(Files.readAllLines(file));
        assertThat(all).as("the two newest rotated files and the current one, in order")
                .isEqualTo(lines(alerts("kvm-01", 1 + 8 - all.size(), 8)));
    }

    @Test
    void rotatesByAge() throws Exception {
        Path file = dir.resolve("alerts.jsonl");
        MutableClock clock = new MutableClock();
        OutputConfig.Rotate rotate = new OutputConfig.Rotate(null, Duration.ofHours(1), null);
        try (AlertJournal journal = AlertJournal.open(dir.resolve("journal"), false, a -> { })) {
            try (Output output = start(journal, new CanonicalJson(), file, rotate, clock)) {
                journal.append(encoded(alerts("kvm-01", 1, 2)));
                await("2 delivered").atMost(TEN_SECONDS).until(() -> output.delivered() == 2);
                clock.advance(Duration.ofMinutes(59));
                journal.append(encoded(alerts("kvm-01", 3, 3)));
                await("3 delivered").atMost(TEN_SECONDS).until(() -> output.delivered() == 3);
                assertThat(rotatedFiles(file)).isEmpty();
                clock.advance(Duration.ofMinutes(1));
                journal.append(encoded(alerts("kvm-01", 4, 4)));
                await("4 delivered").atMost(TEN_SECONDS).until(() -> output.delivered() == 4);
            }
        }
        assertThat(rotatedFiles(file)).singleElement().satisfies(rotated -> {
            assertThat(rotated.getFileName().toString()).isEqualTo("alerts.jsonl.20250101T010000Z");
            assertThat(Files.readAllLines(rotated)).isEqualTo(lines(alerts("kvm-01", 1, 3)));
        });
        assertThat(Files.readAllLines(file)).isEqualTo(lines(alerts("kvm-01", 4, 4)));
    }

    static Output start(AlertJournal journal, AlertFormat format, Path file, OutputConfig.Rotate rotate, Clock clock)
            throws IOException {
        return Output.start("file", journal, format, new FileTransport(file, rotate, clock), 2,
                Duration.ofMillis(10), Duration.ofMillis(100));
    }

    private static List<Path> rotatedFiles(Path file) throws IOException {
        try (Stream<Path> files = Files.list(file.getParent())) {
            return files.filter(p -> p.getFileName().toString().startsWith(file.getFileName() + "."))
                    .sorted().toList();
        }
    }

    private static List<String> lines(List<Alert> alerts) {
        return alerts.stream().map(AlertJson::toLine).collect(Collectors.toList());
    }

    private static List<String> cef(List<Alert> alerts) {
        Cef cef = new Cef();
        return alerts.stream()
                .map(a -> new String(cef.format(null, a), StandardCharsets.UTF_8))
                .collect(Collectors.toList());
    }

    private static void awaitLines(Path file, int count) throws InterruptedException {
        await(count + " lines in " + file).atMost(TEN_SECONDS).until(() -> {
            try {
                return Files.exists(file) && Files.readAllLines(file).size() >= count
                        && Files.readString(file).endsWith("\n");
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** A clock the test moves; file rotation reads it. */
    private static final class MutableClock extends Clock {
        private volatile Instant now = Instant.parse("2025-01-01T00:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
