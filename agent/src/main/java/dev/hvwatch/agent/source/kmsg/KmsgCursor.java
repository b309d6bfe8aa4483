package dev.hvwatch.agent.source.kmsg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The last kernel log record handled, so that an agent restarted within the same boot does not act on a record
 * twice. Record sequence numbers restart at every boot, hence the boot id. Stored as one line,
 * {@code BOOT_ID SEQ}, replaced atomically.
 */
public final class KmsgCursor {
    private final Path file;
    private final String bootId;
    /** Advanced by the reader thread, saved from the sampling thread. */
    private volatile long lastSeq = -1;

    private KmsgCursor(Path file, String bootId) {
        this.file = file;
        this.bootId = bootId;
    }

    /** Reads the cursor; one from another boot, or none, starts from the oldest record the kernel still holds. */
    public static KmsgCursor open(Path file, String bootId) throws IOException {
        KmsgCursor cursor = new KmsgCursor(file, bootId);
        try {
            String[] saved = Files.readString(file, StandardCharsets.US_ASCII).trim().split(" ");
            if (saved.length == 2 && saved[0].equals(bootId)) {
                cursor.lastSeq = Long.parseLong(saved[1]);
            }
        } catch (NoSuchFileException | NumberFormatException e) {
            // No usable cursor: every record of this boot is new to us.
        }
        return cursor;
    }

    /** Whether the record with this sequence number was handled before. */
    public boolean seen(long seq) {
        return seq <= lastSeq;
    }

    public long lastSeq() {
        return lastSeq;
    }

    public void advance(long seq) {
        lastSeq = Math.max(lastSeq, seq);
    }

    /** Writes the cursor through a temporary file, so that a crash leaves the old or the new one, never half. */
    public void save() throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, bootId + " " + lastSeq + "\n", StandardCharsets.US_ASCII);
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
