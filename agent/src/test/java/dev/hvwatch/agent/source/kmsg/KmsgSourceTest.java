package dev.hvwatch.agent.source.kmsg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.TelemetryEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the real /dev/kmsg: a userspace record imitating an IOMMU fault is counted, never a notice. */
class KmsgSourceTest {
    private static final Path KMSG = Path.of("/dev/kmsg");

    @TempDir
    Path dir;

    @Test
    void spoofedFaultLinesAreCountedAndNoRecordIsHandledTwiceAcrossRestarts() throws Exception {
        boolean ci = "true".equals(System.getenv("CI"));
        assumeTrue(ci || (Files.isReadable(KMSG) && Files.isWritable(KMSG)), "/dev/kmsg needs root");
        String bootId = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
        Path cursorFile = dir.resolve("kmsg.cursor");
        List<TelemetryEvent> notices = new CopyOnWriteArrayList<>();
        EventHandler<TelemetryEvent> capture = (e, seq, end) -> {
            if (e.kind() == EventKind.NOTICE && e.notice().type().startsWith("iommu")) {
                notices.add(e);
            }
        };
        String marker = UUID.randomUUID().toString();
        skipWhatTheKernelAlreadyHolds(cursorFile, bootId); // earlier runs in this boot wrote spoofs too

        try (EventRing ring = new EventRing(1024, capture);
             KmsgSource first = new KmsgSource(KMSG, KmsgCursor.open(cursorFile, bootId), ring).start()) {
            // "<0>" asks for facility 0; the kernel gives userspace records facility 1 regardless.
            write("<0>DMAR: [DMA Read NO_PASID] Request device [3b:00.0] fault addr 0x7fe00000 [fault reason 0x06] "
                    + "PTE Read access is not set " + marker);
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> first.spoofed() == 1);
            first.sample(0);
        }
        assertThat(notices).isEmpty();
        long handledBefore = Long.parseLong(Files.readString(cursorFile).trim().split(" ")[1]);

        try (EventRing ring = new EventRing(1024, capture);
             KmsgSource second = new KmsgSource(KMSG, KmsgCursor.open(cursorFile, bootId), ring).start()) {
            write("hvwatch test " + marker + " after restart");
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> second.lastSeq() > handledBefore);
            assertThat(second.records()).as("only the record written after the restart is new").isEqualTo(1);
            assertThat(second.spoofed()).isZero();
            assertThat(second.errors()).isZero();
        }
    }

    @Test
    void aCursorThatCannotBeSavedIsCountedAndTheReaderGoesOn() throws Exception {
        boolean ci = "true".equals(System.getenv("CI"));
        assumeTrue(ci || (Files.isReadable(KMSG) && Files.isWritable(KMSG)), "/dev/kmsg needs root");
        String bootId = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
        Path unwritable = dir.resolve("becomes-a-file").resolve("kmsg.cursor");
        skipWhatTheKernelAlreadyHolds(dir.resolve("kmsg.cursor"), bootId);
        long from = Long.parseLong(Files.readString(dir.resolve("kmsg.cursor")).trim().split(" ")[1]);
        String marker = UUID.randomUUID().toString();
        try (EventRing ring = new EventRing(1024, (e, seq, end) -> { });
             KmsgSource source = new KmsgSource(KMSG, cursorFrom(unwritable, bootId, from), ring).start()) {
            write("hvwatch test " + marker + " one");
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> source.records() >= 1);
            source.sample(0);
            assertThat(source.cursorSaveFailures()).isEqualTo(1);
            write("hvwatch test " + marker + " two");
            Awaitility.await("the reader goes on").atMost(10, TimeUnit.SECONDS).until(() -> source.records() >= 2);
            source.sample(0);
            assertThat(source.cursorSaveFailures()).isEqualTo(2);
        }
    }

    /** A cursor at {@code seq} that cannot be saved: its directory has become a regular file. */
    private static KmsgCursor cursorFrom(Path file, String bootId, long seq) throws IOException {
        KmsgCursor cursor = KmsgCursor.open(file, bootId);
        cursor.advance(seq);
        Files.writeString(file.getParent(), "");
        return cursor;
    }

    private static void skipWhatTheKernelAlreadyHolds(Path cursorFile, String bootId) throws Exception {
        try (EventRing ring = new EventRing(1024, (e, seq, end) -> { });
             KmsgSource drain = new KmsgSource(KMSG, KmsgCursor.open(cursorFile, bootId), ring).start()) {
            String marker = "hvwatch test: end of earlier records " + UUID.randomUUID();
            write(marker);
            long[] last = {-1};
            Awaitility.await().atMost(10, TimeUnit.SECONDS).pollInterval(200, TimeUnit.MILLISECONDS).until(() -> {
                long now = drain.lastSeq();
                boolean settled = now == last[0] && now > 0;
                last[0] = now;
                return settled;
            });
        }
    }

    private static void write(String line) throws IOException {
        Files.write(KMSG, (line + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.WRITE);
    }
}
