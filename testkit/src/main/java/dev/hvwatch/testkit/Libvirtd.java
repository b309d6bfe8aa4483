package dev.hvwatch.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The host's real libvirt daemon, for tests of hvwatch on libvirt hosts. This machine has no systemd as PID 1, so
 * nothing starts libvirtd for them: {@link #require()} starts {@code virtlogd} and {@code libvirtd} itself when they
 * are not running (as root), and the tests leave them running for the next.
 */
public final class Libvirtd {
    /** The URI every test and the agent's default use. */
    public static final String URI = "qemu:///system";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private Libvirtd() {
    }

    /**
     * Returns once libvirtd answers on {@link #URI}, starting it if needed. Skips the calling test where libvirt is
     * not installed, and fails it on CI, whose set-up installs it (scripts/install-deps).
     */
    public static void require() {
        HostTool.require("virsh", "libvirt-clients");
        HostTool.require("libvirtd", "libvirt-daemon-system");
        if (!answers()) {
            start();
        }
    }

    /** Whether {@code virsh version} gets an answer from the daemon. */
    public static boolean answers() {
        return HostCommand.run(Duration.ofSeconds(10), List.of("virsh", "-c", URI, "version")).ok();
    }

    /** Starts virtlogd (which libvirtd needs for QEMU's log) and libvirtd, daemonised, and waits for an answer. */
    public static void start() {
        if (!isRunning("virtlogd")) {
            HostCommand.check(COMMAND_TIMEOUT, "virtlogd", "-d");
        }
        if (!isRunning("libvirtd")) {
            HostCommand.check(COMMAND_TIMEOUT, "libvirtd", "-d");
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!answers()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("libvirtd does not answer on " + URI + " after " + START_TIMEOUT);
            }
            pause();
        }
    }

    /**
     * Kills libvirtd (SIGKILL, as a crash would) and waits until it is gone. Its domains keep running: QEMU does not
     * depend on the daemon, which finds them again when it starts.
     */
    public static void kill() {
        HostCommand.run(COMMAND_TIMEOUT, List.of("pkill", "-KILL", "-x", "libvirtd"));
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (isRunning("libvirtd")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("libvirtd still running " + START_TIMEOUT + " after SIGKILL");
            }
            pause();
        }
    }

    /** The libvirt library's version as {@code virsh version} prints it, e.g. "9.0.0". */
    public static String libraryVersion() {
        String out = HostCommand.check(COMMAND_TIMEOUT, "virsh", "-c", URI, "version");
        return out.lines().filter(l -> l.startsWith("Using library: libvirt ")).findFirst()
                .map(l -> l.substring("Using library: libvirt ".length()).strip())
                .orElseThrow(() -> new IllegalStateException("virsh version printed no library version: " + out));
    }

    static boolean isRunning(String daemon) {
        return HostCommand.run(Duration.ofSeconds(10), List.of("pgrep", "-x", daemon)).ok();
    }

    /** Where libvirt's QEMU (user libvirt-qemu) may read disk images. */
    static Path imageDir() {
        Path dir = Path.of("/var/lib/libvirt/images");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException(dir + " does not exist: is libvirt-daemon-system installed?");
        }
        return dir;
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for libvirtd", e);
        }
    }
}
