package dev.hvwatch.agent.spool;

import dev.hvwatch.testkit.HostTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A tmpfs of a few MiB mounted for one test, to fill the disk for real; grown to make room, unmounted on close.
 * Needs root (mount); skipped elsewhere, failed on CI, which runs as root.
 */
public final class TinyTmpfs implements AutoCloseable {
    private final Path dir;

    private TinyTmpfs(Path dir) {
        this.dir = dir;
    }

    public static TinyTmpfs mount(Path dir, String size) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs", dir.toString());
        HostTool.requireOnCi(mounted, "cannot mount a tmpfs on " + dir + " (needs root)");
        return new TinyTmpfs(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Makes room: the same tmpfs, now of this size, files kept. */
    public void resize(String size) throws IOException, InterruptedException {
        if (!run("mount", "-o", "remount,size=" + size, dir.toString())) {
            throw new IOException("cannot resize the tmpfs on " + dir);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (!run("umount", "-l", dir.toString())) {
            throw new IOException("cannot unmount the tmpfs on " + dir);
        }
    }

    private static boolean run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return false;
        }
        if (p.exitValue() != 0) {
            System.err.println(String.join(" ", command) + ": " + output.strip());
        }
        return p.exitValue() == 0;
    }
}
