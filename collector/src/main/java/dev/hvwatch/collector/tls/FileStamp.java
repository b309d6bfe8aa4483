package dev.hvwatch.collector.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;

/** What identifies a version of a file that is reloaded when it changes. */
public final class FileStamp {
    private FileStamp() {
    }

    /**
     * Replaced files (renamed over) change inode, edited ones mtime or size; an unreadable file stamps as the kind of
     * error, so that it counts as changed once readable again. Null for no file.
     */
    public static Object of(Path file) {
        if (file == null) {
            return null;
        }
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(a.lastModifiedTime(), a.size(), Objects.requireNonNullElse(a.fileKey(), ""));
        } catch (IOException e) {
            return e.getClass().getSimpleName();
        }
    }
}
