package dev.hvwatch.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A Debian root file system booted with systemd as its init by {@code systemd-nspawn --boot}, with the options
 * docs/operator-guide.md gives for trying hvwatch in a container: {@code /dev/kvm} and {@code /dev/kmsg} bound in, and
 * {@code perf_event_open} let through nspawn's own system-call filter. Besides those, for a test: the tree is
 * mounted read-only under a throw-away overlay ({@code --volatile=overlay}), so the cached tree stays as debootstrap
 * made it; the container has a network of its own (loopback only), so its ports never meet the host's; and it is
 * not registered with a host systemd, which this host may not run.
 *
 * <p>Commands run inside with {@code nsenter} into the container's init. Closing powers it off; a container that
 * does not stop, or one a killed earlier run left behind (its process ids are kept in the work directory), is
 * killed: SIGKILL to the init of a PID namespace ends every process in it, and the container's mounts live in its
 * own mount namespace, so nothing stays on the host.
 */
final class SystemdContainer implements AutoCloseable {
    static final String SHARED = "/srv/hvwatch";
    private static final String MACHINE = "hvwatch-system-test";
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final Duration COMMAND = Duration.ofSeconds(180);
    private static final String PATH = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";

    private final Process nspawn;
    private final long init;
    private final Path pidFile;
    private final Thread onExit;

    private SystemdContainer(Process nspawn, long init, Path pidFile) {
        this.nspawn = nspawn;
        this.init = init;
        this.pidFile = pidFile;
        this.onExit = new Thread(this::stop, "system-test-container-stop");
        Runtime.getRuntime().addShutdownHook(onExit);
    }

    /**
     * Boots {@code root}, with {@code shared} (files the test hands in: packages, a guest image) read-only at
     * {@link #SHARED}; the console goes to {@code workDir/console.log}.
     */
    static SystemdContainer boot(Path root, Path shared, Path workDir) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path pidFile = workDir.resolve("container.pids");
        killLeftover(pidFile);
        List<String> argv = List.of("systemd-nspawn", "--directory=" + root, "--boot", "--machine=" + MACHINE,
                "--volatile=overlay", "--private-network", "--register=no", "--keep-unit",
                "--bind=/dev/kvm", "--bind=/dev/kmsg", "--system-call-filter=perf_event_open", "--capability=all",
                "--bind-ro=" + shared + ":" + SHARED);
        System.out.println("[system test] " + String.join(" ", argv));
        Process nspawn = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(workDir.resolve("console.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        long init;
        try {
            init = Awaitility.await("the container's init").atMost(BOOT).pollInterval(Duration.ofMillis(100))
                    .until(() -> childOf(nspawn), Optional::isPresent).orElseThrow();
        } catch (RuntimeException e) {
            nspawn.destroyForcibly();
            throw new AssertionError("systemd-nspawn started no init; console:\n"
                    + Files.readString(workDir.resolve("console.log")), e);
        }
        Files.writeString(pidFile, identity(nspawn.pid()) + "\n" + identity(init) + "\n");
        SystemdContainer container = new SystemdContainer(nspawn, init, pidFile);
        // Until systemd listens, systemctl cannot connect and answers at once; then --wait waits for the boot's end.
        String state = Awaitility.await("the container's boot").atMost(BOOT).pollInterval(Duration.ofMillis(200))
                .until(() -> container.exec(BOOT, "systemctl", "is-system-running", "--wait").output().strip(),
                        s -> s.equals("running") || s.equals("degraded"));
        if (!state.equals("running")) {
            System.out.println("[system test] the container booted " + state + "; failed units:\n"
                    + container.exec("systemctl", "--failed", "--no-legend").output());
        }
        return container;
    }

    /** Runs argv inside the container as root, in a clean environment like an operator's login shell. */
    Command exec(String... argv) throws IOException, InterruptedException {
        return exec(COMMAND, argv);
    }

    Command exec(Duration timeout, String... argv) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("nsenter", "--target=" + init, "--all", "env", "-i", PATH,
                "HOME=/root", "LANG=C.UTF-8", "TERM=dumb"));
        command.addAll(List.of(argv));
        return Command.run(timeout, Map.of(), command.toArray(String[]::new));
    }

    /** A shell command line inside the container, which must succeed; its output. */
    String sh(String script) throws IOException, InterruptedException {
        Command c = exec("sh", "-c", script);
        assertThat(c.exitCode()).as("in the container: %s%n%s", script, c.output()).isZero();
        return c.output();
    }

    /** The host's process id of a process the container knows by {@code pid}. */
    long hostPid(long pid) throws IOException {
        String namespace = Files.readSymbolicLink(Path.of("/proc", Long.toString(init), "ns/pid")).toString();
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path p : processes.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (Files.readSymbolicLink(p.resolve("ns/pid")).toString().equals(namespace)
                            && Files.readAllLines(p.resolve("status")).stream()
                            .anyMatch(l -> l.startsWith("NSpid:") && l.endsWith("\t" + pid))) {
                        return Long.parseLong(p.getFileName().toString());
                    }
                } catch (NoSuchFileException | AccessDeniedException elsewhere) {
                    // A process that ended while we looked, or one of the host's that we may not inspect.
                }
            }
        }
        throw new AssertionError("no process " + pid + " in the container");
    }

    @Override
    public void close() {
        stop();
        Runtime.getRuntime().removeShutdownHook(onExit);
    }

    private void stop() {
        try {
            if (nspawn.isAlive()) {
                exec(Duration.ofSeconds(30), "systemctl", "poweroff", "--no-block");
                if (!nspawn.waitFor(60, TimeUnit.SECONDS)) {
                    System.out.println("[system test] the container did not power off within 60 s: killed");
                    kill(init);
                    nspawn.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            Files.deleteIfExists(pidFile);
        } catch (IOException | InterruptedException e) {
            kill(init);
            nspawn.destroyForcibly();
            throw new IllegalStateException("stopping the container: " + e, e);
        }
    }

    /** A container a killed earlier run left: its init and nspawn, if they are still those processes. */
    private static void killLeftover(Path pidFile) throws IOException, InterruptedException {
        if (!Files.exists(pidFile)) {
            return;
        }
        List<String> recorded = Files.readAllLines(pidFile).stream().filter(l -> !l.isBlank()).toList();
        // The init first: killing it ends the container; nspawn then ends by itself or is killed next.
        for (int i = recorded.size() - 1; i >= 0; i--) {
            long pid = Long.parseLong(recorded.get(i).split(" ")[0]);
            if (identity(pid).equals(recorded.get(i))) {
                System.out.println("[system test] killing process " + pid + ", left by an earlier run");
                kill(pid);
                Awaitility.await("process " + pid + " to end").atMost(Duration.ofSeconds(30))
                        .until(() -> !Files.exists(Path.of("/proc", Long.toString(pid))));
            }
        }
        Files.delete(pidFile);
    }

    private static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    /** The process id with its start time (field 22 of /proc/PID/stat): a pid used again later does not match. */
    private static String identity(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return pid + " " + afterName[19];
        } catch (IOException e) {
            return pid + " gone";
        }
    }

    /** nspawn's child once it has become the container's systemd. */
    private static Optional<Long> childOf(Process process) {
        return process.children().map(ProcessHandle::pid).filter(pid -> {
            try {
                return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip().equals("systemd");
            } catch (IOException gone) {
                return false;
            }
        }).findFirst();
    }
}
