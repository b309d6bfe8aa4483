package dev.hvwatch.collector.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which changes to a file give it a new stamp, so that the collector reloads it. */
class FileStampTest {
    @TempDir
    Path dir;

    @Test
    void anUntouchedFileKeepsItsStamp() throws Exception {
        Path file = Files.writeString(dir.resolve("key.pem"), "one");

        assertThat(FileStamp.of(file)).isEqualTo(FileStamp.of(file));
    }

    @Test
    void aFileRenamedOverWithTheSameContentAndTimeGetsANewStamp() throws Exception {
        Path file = Files.writeString(dir.resolve("key.pem"), "one");
        Object before = FileStamp.of(file);
        Path replacement = Files.writeString(dir.resolve("key.pem.partial"), "one");
        Files.setLastModifiedTime(replacement, Files.getLastModifiedTime(file));

        Files.move(replacement, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        assertThat(FileStamp.of(file)).isNotEqualTo(before);
    }

    @Test
    void aFileRewrittenInPlaceWithItsTimeAndSizeRestoredGetsANewStamp() throws Exception {
        Path file = Files.writeString(dir.resolve("key.pem"), "one");
        FileTime modified = Files.getLastModifiedTime(file);
        Object before = FileStamp.of(file);
        waitForTheClockToMove(file, before);

        Files.writeString(file, "two");
        Files.setLastModifiedTime(file, modified);

        assertThat(FileStamp.of(file)).isNotEqualTo(before);
    }

    @Test
    void aFileGivenAnotherModeGetsANewStamp() throws Exception {
        Path file = Files.writeString(dir.resolve("key.pem"), "one");
        Object before = FileStamp.of(file);
        waitForTheClockToMove(file, before);

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        assertThat(FileStamp.of(file)).isNotEqualTo(before);
    }

    @Test
    void aMissingFileStampsAsTheErrorAndNoFileAsNull() {
        assertThat(FileStamp.of(dir.resolve("absent.pem"))).isEqualTo("NoSuchFileException");
        assertThat(FileStamp.of(null)).isNull();
    }

    /**
     * The kernel stamps change times from a clock that ticks every few milliseconds: a change within the same tick
     * would keep the time. Touching a scratch file until its change time differs proves a tick has passed.
     */
    private void waitForTheClockToMove(Path file, Object before) throws Exception {
        Path scratch = Files.writeString(dir.resolve("scratch"), "");
        Object first = Files.getAttribute(scratch, "unix:ctime");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (first.equals(Files.getAttribute(scratch, "unix:ctime")) && System.nanoTime() < deadline) {
            Files.writeString(scratch, "x");
        }
        assertThat(Files.getAttribute(scratch, "unix:ctime")).as("the clock moved").isNotEqualTo(first);
        assertThat(FileStamp.of(file)).isEqualTo(before);
    }
}
