package dev.hvwatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * A host process that burns CPU, like {@code stress --cpu 1}, for tests of what a VM loses to the host's own load:
 * a shell loop in a script of the given name, so that the kernel names the process after the script (its
 * {@code comm}), optionally pinned and niced. Closing kills it; {@link GuestCleanupExtension} closes forgotten ones.
 */
public final class HostBusyLoop implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path script;

    private HostBusyLoop(String name, Process process, Path script) {
        this.name = name;
        this.process = process;
        this.script = script;
    }

    /**
     * @param dir  where the script is written (deleted on close)
     * @param name the process name, at most 15 characters (the kernel's limit)
     * @param cpus a CPU list for taskset, or null for any CPU
     * @param nice the nice value, 0 for none
     */
    public static HostBusyLoop start(Path dir, String name, String cpus, int nice) throws IOException {
        if (!name.matches("[A-Za-z0-9_.-]{1,15}")) {
            throw new IllegalArgumentException("a busy loop's name is 1 to 15 of [A-Za-z0-9_.-], not " + name);
        }
        Path script = dir.resolve(name);
        Files.writeString(script, "#!/bin/sh\nwhile :; do :; done\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        List<String> argv = new ArrayList<>();
        if (cpus != null) {
            argv.addAll(List.of("taskset", "-c", cpus));
        }
        if (nice != 0) {
            argv.addAll(List.of("nice", "-n", Integer.toString(nice)));
        }
        argv.add(script.toString());
        HostBusyLoop loop = new HostBusyLoop(name, new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start(), script);
        GuestRegistry.add(loop);
        return loop;
    }

    /** The loop's own pid: taskset and nice exec it. */
    public long pid() {
        return process.pid();
    }

    public String name() {
        return name;
    }

    /** The CPU time it has run, from its schedstat. */
    public long runNanos() {
        try {
            return Long.parseLong(Files.readString(Path.of("/proc", Long.toString(pid()), "schedstat")).split(" ")[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        GuestRegistry.remove(this);
        try {
            Files.deleteIfExists(script);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "HostBusyLoop[" + name + ", pid " + pid() + "]";
    }
}
