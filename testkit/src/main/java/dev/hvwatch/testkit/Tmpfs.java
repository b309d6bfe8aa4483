package dev.hvwatch.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A tmpfs of a given size mounted for a test, to fill a disk for real: a full tmpfs fails writes with ENOSPC and
 * faults writes into memory mappings (SIGBUS), as a full disk does. Mounting needs root: elsewhere the test is
 * skipped, but on CI, which runs as root, that is a failure. Unmounted on close, whatever it holds.
 */
public final class Tmpfs implements AutoCloseable {
    private final Path mountPoint;

    private Tmpfs(Path mountPoint) {
        this.mountPoint = mountPoint;
    }

    /** Mounts a tmpfs of {@code bytes} (rounded up to whole pages by the kernel) on {@code mountPoint}. */
    public static Tmpfs mount(Path mountPoint, long bytes) throws IOException, InterruptedException {
        HostTool.requireOnCi("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Files.createDirectories(mountPoint);
        run(List.of("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", mountPoint.toString()));
        return new Tmpfs(mountPoint);
    }

    public Path path() {
        return mountPoint;
    }

    /** Makes room: the same tmpfs, now of {@code bytes}, its files kept. */
    public void resize(long bytes) throws IOException, InterruptedException {
        run(List.of("mount", "-o", "remount,size=" + bytes, mountPoint.toString()));
    }

    /** Bytes a process may still write there. */
    public long free() throws IOException {
        return Files.getFileStore(mountPoint).getUsableSpace();
    }

    /**
     * Writes {@code file} until only {@code leave} bytes are free (or none, if fewer were): makes the disk full
     * whatever else is on it.
     */
    public void fill(Path file, long leave) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        try (var out = Files.newOutputStream(file)) {
            for (long room = free() - leave; room > 0; room = free() - leave) {
                out.write(chunk, 0, (int) Math.min(chunk.length, room));
            }
        } catch (IOException full) {
            if (free() > leave) {
                throw full;
            }
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        // Lazy: a process the test left behind with a file open must not keep the mount, nor fail the test.
        run(List.of("umount", "-l", mountPoint.toString()));
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output.strip());
        }
    }
}
