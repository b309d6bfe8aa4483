package dev.hvwatch.agent.source.perf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.nativebind.LibC;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group reads, fed from a file laid out like a group read ({@code nr, time_enabled, time_running, value[nr]}, one
 * record per read): multiplexing happens only on hardware counters, which this project's CI host lacks.
 */
class PerfGroupTest {
    @TempDir
    Path dir;

    private final Pointer buffer = Memory.allocateDirect(LibC.runtime(), PerfGroup.readBytes(2));

    @Test
    void valuesGoToTheirSlotsScaledByTimeEnabledOverTimeRunningAndNeverDown() throws Exception {
        Path records = write(
                2, 1_000, 1_000, 10, 20,   // counted all the time: as read
                2, 2_000, 1_000, 15, 30,   // counted half the time: doubled
                2, 4_000, 3_990, 31, 61);  // a later estimate below the one before: the count holds
        try (FileInputStream in = new FileInputStream(records.toFile())) {
            PerfGroup group = new PerfGroup(LibC.load(), new int[] {descriptorOf(records), -1}, new int[] {3, 1});
            long[] counts = new long[4];

            assertThat(group.read(buffer, counts)).isTrue();
            assertThat(counts).containsExactly(0, 20, 0, 10);
            assertThat(group.read(buffer, counts)).isTrue();
            assertThat(counts).containsExactly(0, 60, 0, 30);
            assertThat(group.read(buffer, counts)).isTrue();
            assertThat(counts).containsExactly(0, 61, 0, 31);
            assertThat(group.read(buffer, counts)).as("end of file: a short read").isFalse();
            assertThat(counts).containsExactly(0, 61, 0, 31);
        }
    }

    @Test
    void aReadForAnotherNumberOfMembersFails() throws Exception {
        Path records = write(3, 1_000, 1_000, 10, 20);
        try (FileInputStream in = new FileInputStream(records.toFile())) {
            PerfGroup group = new PerfGroup(LibC.load(), new int[] {descriptorOf(records), -1}, new int[] {0, 1});
            long[] counts = new long[2];

            assertThat(group.read(buffer, counts)).isFalse();
            assertThat(counts).containsExactly(0, 0);
        }
    }

    private Path write(long... words) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(words.length * Long.BYTES).order(ByteOrder.nativeOrder());
        for (long w : words) {
            bytes.putLong(w);
        }
        return Files.write(dir.resolve("records"), bytes.array());
    }

    /** The descriptor number this process holds {@code file} open on, found the way ls -l /proc/self/fd shows it. */
    private static int descriptorOf(Path file) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(file);
                } catch (IOException closedMeanwhile) {
                    return false;
                }
            }).mapToInt(fd -> Integer.parseInt(fd.getFileName().toString())).findFirst().orElseThrow();
        }
    }
}
