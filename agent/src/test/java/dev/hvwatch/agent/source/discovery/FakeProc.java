package dev.hvwatch.agent.source.discovery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/** Builds a {@code /proc} fixture tree with the files discovery and schedstat read, in the kernel's formats. */
final class FakeProc {
    private final Path root;
    private final Map<Long, Process> processes = new HashMap<>();

    FakeProc(Path root) {
        this.root = root;
        uptime(100_000);
    }

    /** Seconds since boot, as {@code /proc/uptime} gives them (start times are in hundredths of that). */
    FakeProc uptime(double seconds) {
        try {
            Files.writeString(root.resolve("uptime"), String.format(Locale.ROOT, "%.2f %.2f%n", seconds, seconds * 1.5));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The process starts another program (execve): the same pid and start time, a new command line and name. */
    FakeProc exec(long pid, String[] argv, String[] fdTargets, Object... threads) throws IOException {
        long startTicks = processes.get(pid).startTicks;
        exit(pid);
        return process(pid, startTicks, argv, fdTargets, threads);
    }

    Path root() {
        return root;
    }

    /** A process with the given argv, start time, open-file targets and threads (tid, comm). */
    FakeProc process(long pid, long startTicks, String[] argv, String[] fdTargets, Object... threads) {
        try {
            Path dir = Files.createDirectories(root.resolve(Long.toString(pid)));
            String comm = argv.length == 0 ? "kworker/0:1" : Path.of(argv[0]).getFileName().toString();
            processes.put(pid, new Process(comm, startTicks));
            writeStat(pid);
            Files.write(dir.resolve("cmdline"), argv.length == 0 ? new byte[0]
                    : (String.join("\0", argv) + "\0").getBytes(StandardCharsets.UTF_8));
            Path fd = Files.createDirectories(dir.resolve("fd"));
            for (int i = 0; i < fdTargets.length; i++) {
                Files.createSymbolicLink(fd.resolve(Integer.toString(i + 3)), Path.of(fdTargets[i]));
            }
            Files.createDirectories(dir.resolve("task"));
            for (int i = 0; i < threads.length; i += 2) {
                thread(pid, ((Number) threads[i]).longValue(), threads[i + 1].toString());
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An fd the process opens later, as QEMU opens /dev/kvm a moment after it starts. */
    FakeProc openFile(long pid, int fd, String target) throws IOException {
        Files.createSymbolicLink(root.resolve(pid + "/fd/" + fd), Path.of(target));
        return this;
    }

    /** A thread of an existing process, with the name QEMU gives it. */
    FakeProc thread(long pid, long tid, String comm) throws IOException {
        Path task = Files.createDirectories(root.resolve(pid + "/task/" + tid));
        Files.writeString(task.resolve("comm"), comm + "\n");
        Files.writeString(task.resolve("schedstat"), "0 0 0\n");
        Files.writeString(task.resolve("stat"), tid + " (" + comm + ") R 1 " + pid + " " + pid
                + " 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 1 0 100 1000 200 18446744073709551615\n");
        writeStat(pid);
        return this;
    }

    /** The process's stat, whose field 20 counts its threads as the kernel's does. */
    private void writeStat(long pid) throws IOException {
        Process p = processes.get(pid);
        Path dir = root.resolve(Long.toString(pid));
        long threads;
        try (Stream<Path> tasks = Files.list(dir.resolve("task"))) {
            threads = Math.max(1, tasks.count());
        } catch (NoSuchFileException e) {
            threads = 1;
        }
        Files.writeString(dir.resolve("stat"), pid + " (" + p.comm + ") S 1 " + pid + " " + pid
                + " 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 " + threads + " 0 " + p.startTicks
                + " 1000 200 18446744073709551615\n");
    }

    private record Process(String comm, long startTicks) {
    }

    /** The thread renames itself, as QEMU names a thread from inside it once it runs. */
    FakeProc rename(long pid, long tid, String comm) throws IOException {
        Files.writeString(root.resolve(pid + "/task/" + tid + "/comm"), comm + "\n");
        return this;
    }

    /** The thread ends. */
    FakeProc endThread(long pid, long tid) throws IOException {
        try (Stream<Path> all = Files.walk(root.resolve(pid + "/task/" + tid))) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        writeStat(pid);
        return this;
    }

    void schedstat(long pid, long tid, String content) throws IOException {
        Files.writeString(root.resolve(pid + "/task/" + tid + "/schedstat"), content);
    }

    void exit(long pid) throws IOException {
        try (Stream<Path> all = Files.walk(root.resolve(Long.toString(pid)))) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
