package dev.hvwatch.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * VM exits per kind come from the kvm tracepoints, which the agent reads through tracefs. Many hosts do not mount
 * it; the demo mounts it where it may (as root), or says in one line why exits per kind will be missing.
 */
final class DemoTracefs {
    private DemoTracefs() {
    }

    /** A one-line note for the demo's output when something was done or is missing; empty when all is ready. */
    static Optional<String> prepare(Path root, boolean rootUser) {
        if (Files.isDirectory(root.resolve("events/kvm"))) {
            return Optional.empty();
        }
        if (Files.isDirectory(root.resolve("events"))) {
            return Optional.of("hvwatch: no VM exits per kind: tracefs at " + root + " has no kvm events (is the kvm "
                    + "module loaded?)");
        }
        if (!rootUser) {
            return Optional.of("hvwatch: no VM exits per kind: tracefs is not mounted at " + root + " and only root "
                    + "may mount it (sudo mount -t tracefs nodev " + root + ")");
        }
        String failure = mount(root);
        if (failure == null && Files.isDirectory(root.resolve("events/kvm"))) {
            return Optional.of("hvwatch: mounted tracefs at " + root + " for VM exits per kind");
        }
        return Optional.of("hvwatch: no VM exits per kind: mount -t tracefs nodev " + root + " failed"
                + (failure != null ? ": " + failure : " to show kvm events"));
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(l -> l.matches("Uid:\\s+\\d+\\s+0\\s.*"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Null when mount succeeded, else what it said. */
    private static String mount(Path root) {
        try {
            Process mount = new ProcessBuilder("mount", "-t", "tracefs", "nodev", root.toString())
                    .redirectErrorStream(true).start();
            if (!mount.waitFor(10, TimeUnit.SECONDS)) {
                mount.destroyForcibly();
                return "it did not finish within 10 s";
            }
            String said = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return mount.exitValue() == 0 ? null : said.isEmpty() ? "exit code " + mount.exitValue() : said;
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
