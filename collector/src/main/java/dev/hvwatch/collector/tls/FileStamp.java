package dev.hvwatch.collector.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What identifies a version of a file that is reloaded when it changes. */
public final class FileStamp {
    private FileStamp() {
    }

    /**
     * Replaced files (renamed over) change inode, edited ones mtime or size, and a file given another owner or mode
     * (a key made readable to the service after a refused reload) its change time; an unreadable file stamps as the
     * kind of error, so that it counts as changed once readable again. Null for no file.
     */
    public static Object of(Path file) {
        if (file == null) {
            return null;
        }
        try {
            // The unix view (Linux, where hvwatch runs) for the owner, mode and change time, which the basic view
            // does not have; owner and mode as well as the change time, whose clock ticks only every few ms.
            Map<String, Object> a = Files.readAttributes(file, "unix:lastModifiedTime,size,dev,ino,ctime,uid,gid,mode");
            return List.of(a.get("lastModifiedTime"), a.get("size"), a.get("dev"), a.get("ino"), a.get("ctime"),
                    a.get("uid"), a.get("gid"), a.get("mode"));
        } catch (IOException e) {
            return e.getClass().getSimpleName();
        }
    }
}
