package dev.hvwatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A running QEMU/KVM boot-sector guest. The process is started directly (no shell, no -daemonize; taskset
 * and nice exec), so {@link #pid()} is QEMU's own pid, the one an agent discovers. Closing kills it and
 * deletes its working directory; guests nobody closes are closed by {@link GuestCleanupExtension} or at
 * JVM exit.
 */
public final class QemuGuest implements AutoCloseable {

    /** "CPU n/KVM", or "CPU n/TCG" for a guest built with {@code accelerator("tcg")}. */
    private static final Pattern VCPU_THREAD = Pattern.compile("CPU (\\d+)/(?:KVM|TCG)");
    private static final long POLL_MILLIS = 10;

    private final String name;
    private final UUID uuid;
    private final int vcpus;
    private final Path workDir;
    private final Optional<Path> qmpSocket;
    private final List<String> commandLine;
    private final Process process;
    private boolean closed;

    private QemuGuest(Builder builder, Path workDir, List<String> commandLine, Process process) {
        this.name = builder.name;
        this.uuid = builder.uuid;
        this.vcpus = builder.vcpus;
        this.workDir = workDir;
        this.qmpSocket = builder.qmpSocket ? Optional.of(Builder.qmpSocketIn(workDir)) : Optional.empty();
        this.commandLine = List.copyOf(commandLine);
        this.process = process;
    }

    public static Builder builder() {
        return new Builder();
    }

    public long pid() {
        return process.pid();
    }

    public String name() {
        return name;
    }

    public UUID uuid() {
        return uuid;
    }

    /** The QMP socket, present when the guest was built with {@code qmpSocket(true)}. */
    public Optional<Path> qmpSocketPath() {
        return qmpSocket;
    }

    /** The argv as executed, including any taskset/nice prefix. */
    public List<String> commandLine() {
        return commandLine;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * vCPU index to thread id, for the threads that exist right now. Empty once the guest has exited. QEMU
     * names them {@code CPU <n>/KVM} (or {@code /TCG}) because of {@code debug-threads=on}.
     */
    public SortedMap<Integer, Long> vcpuThreadIds() {
        return vcpuThreadIdsOf(pid());
    }

    /** vCPU index to thread id of the QEMU process {@code pid}; empty once it has exited. */
    static SortedMap<Integer, Long> vcpuThreadIdsOf(long pid) {
        SortedMap<Integer, Long> threads = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            tasks.forEach(task -> {
                Matcher vcpu = VCPU_THREAD.matcher(comm(task));
                if (vcpu.matches()) {
                    threads.put(Integer.valueOf(vcpu.group(1)), Long.valueOf(task.getFileName().toString()));
                }
            });
        } catch (NoSuchFileException exited) {
            return threads;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return threads;
    }

    /**
     * Waits until every vCPU thread exists. QEMU creates them shortly after start, and they are the threads
     * an agent samples, so tests measure nothing before this returns. The QMP socket is listening by then:
     * QEMU opens its monitors before it builds the machine and its vCPUs.
     *
     * @throws IllegalStateException if QEMU exits first or the timeout passes; the message carries QEMU's stderr
     */
    public SortedMap<Integer, Long> awaitVcpuThreads(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(this + ": qemu exited with status " + process.exitValue()
                        + " before its vCPU threads started" + stderrForMessage());
            }
            SortedMap<Integer, Long> threads = vcpuThreadIds();
            if (threads.size() == vcpus) {
                return threads;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(this + ": " + threads.size() + " of " + vcpus
                        + " vCPU threads after " + timeout + stderrForMessage());
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** Kills QEMU (SIGKILL: the guest has nothing to save) and deletes the image, socket and log. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        process.destroyForcibly();
        boolean interrupted = false;
        while (true) {
            try {
                process.waitFor();
                break;
            } catch (InterruptedException e) {
                // Deleting the directory of a still-running QEMU would leave a process behind: finish first.
                interrupted = true;
            }
        }
        GuestRegistry.remove(this);
        closed = true;
        try {
            deleteRecursively(workDir);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "QemuGuest[" + name + ", pid " + pid() + "]";
    }

    private static String comm(Path task) {
        try {
            return Files.readString(task.resolve("comm")).strip();
        } catch (IOException threadExited) {
            return "";
        }
    }

    private String stderrForMessage() {
        Path log = Builder.stderrLogIn(workDir);
        try {
            String stderr = Files.readString(log).strip();
            return stderr.isEmpty() ? "; qemu wrote nothing to stderr" : "; qemu stderr:\n" + stderr;
        } catch (IOException e) {
            return "; qemu stderr unreadable: " + e;
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (NoSuchFileException alreadyGone) {
            // Nothing left to clean up.
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete guest directory " + dir, e);
        }
    }

    /** QEMU option values separate key=value pairs with commas, so a literal comma is written twice. */
    static String escapeOptionValue(String value) {
        return value.replace(",", ",,");
    }

    /** Fluent configuration; {@link #start()} launches the guest. */
    public static final class Builder extends GuestBuilder<Builder> {
        private Integer nice;
        private String accelerator = "kvm";
        private boolean qmpSocket;
        private List<String> extraArgs = List.of();

        private Builder() {
        }

        @Override
        Builder self() {
            return this;
        }

        /** Restricts QEMU, and so every vCPU thread, to a taskset CPU list such as {@code "0"} or {@code "0-1,3"}. */
        public Builder pinCpus(String cpuList) {
            return cpus(cpuList);
        }

        /** Runs QEMU at this nice level, -20 (favoured) to 19. */
        public Builder nice(int nice) {
            if (nice < -20 || nice > 19) {
                throw new IllegalArgumentException("nice must be within -20..19, got " + nice);
            }
            this.nice = nice;
            return this;
        }

        /**
         * QEMU's accelerator, {@code kvm} by default. {@code tcg} runs the guest emulated, without hardware
         * virtualisation: QEMU takes the first {@code -accel} that works, so {@code extraArgs("-accel", "tcg")}
         * would still get KVM.
         */
        public Builder accelerator(String accelerator) {
            if (!accelerator.matches("[a-z]+")) {
                throw new IllegalArgumentException("not an accelerator name: " + accelerator);
            }
            this.accelerator = accelerator;
            return this;
        }

        /** Exposes QMP on a unix socket in the guest's own directory, see {@link QemuGuest#qmpSocketPath()}. */
        public Builder qmpSocket(boolean enabled) {
            this.qmpSocket = enabled;
            return this;
        }

        /** Appended to the QEMU command line as given. */
        public Builder extraArgs(List<String> extraArgs) {
            this.extraArgs = List.copyOf(extraArgs);
            return this;
        }

        /**
         * Writes the boot image and launches QEMU without waiting for it; see
         * {@link QemuGuest#awaitVcpuThreads(Duration)}.
         */
        public QemuGuest start() throws IOException {
            requireNameAndProgram();
            Path workDir = Files.createTempDirectory("hvwatch-guest-");
            try {
                Files.write(imageIn(workDir), program.diskImage());
                List<String> command = commandLine(workDir);
                // No pipes: nothing would read or write them, and they would hold descriptors while it runs.
                Process process = new ProcessBuilder(command)
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(stderrLogIn(workDir).toFile())
                        .start();
                QemuGuest guest = new QemuGuest(this, workDir, command, process);
                GuestRegistry.add(guest);
                return guest;
            } catch (IOException | RuntimeException e) {
                deleteRecursively(workDir);
                throw e;
            }
        }

        List<String> commandLine(Path workDir) {
            List<String> command = new ArrayList<>();
            if (cpus != null) {
                command.addAll(List.of("taskset", "-c", cpus));
            }
            if (nice != null) {
                command.addAll(List.of("nice", "-n", nice.toString()));
            }
            command.addAll(List.of(RealKvm.QEMU,
                    "-accel", accelerator,
                    "-m", Integer.toString(memoryMib),
                    "-smp", Integer.toString(vcpus),
                    "-nodefaults",
                    "-display", "none",
                    "-name", "guest=" + escapeOptionValue(name) + ",debug-threads=on",
                    "-uuid", uuid.toString(),
                    "-drive", "file=" + escapeOptionValue(imageIn(workDir).toString())
                            + ",format=raw,if=ide,snapshot=on"));
            if (qmpSocket) {
                command.addAll(List.of("-qmp",
                        "unix:" + escapeOptionValue(qmpSocketIn(workDir).toString()) + ",server=on,wait=off"));
            }
            command.addAll(extraArgs);
            return command;
        }

        static Path imageIn(Path workDir) {
            return workDir.resolve("boot.img");
        }

        static Path qmpSocketIn(Path workDir) {
            return workDir.resolve("qmp.sock");
        }

        static Path stderrLogIn(Path workDir) {
            return workDir.resolve("qemu.stderr");
        }
    }
}
