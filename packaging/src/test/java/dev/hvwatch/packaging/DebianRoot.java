package dev.hvwatch.packaging;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A Debian root file system made by debootstrap, as docs/operator-guide.md ("Trying the packages in a container") has
 * an operator make one: cached under the build directory between runs, in a directory named after a digest of the
 * debootstrap command, so that a changed package list makes a new one (and the old one is deleted).
 */
final class DebianRoot {
    static final String SUITE = "bookworm";
    /** What the container needs besides a minimal Debian: systemd as init, Java for hvwatch, QEMU for a guest. */
    static final List<String> PACKAGES = List.of("systemd", "systemd-sysv", "dbus", "openjdk-17-jre-headless",
            "qemu-system-x86", "procps", "curl", "adduser", "openssl");
    private static final String DEFAULT_MIRROR = "http://deb.debian.org/debian";
    private static final Duration DEBOOTSTRAP_TIMEOUT = Duration.ofMinutes(6);
    private static final Pattern DEB822_URI = Pattern.compile("(?m)^URIs:\\s*(\\S+)");
    private static final Pattern ONE_LINE_URI = Pattern.compile("(?m)^deb\\s+(?:\\[[^]]*]\\s+)?(\\S+)\\s+" + SUITE
            + "\\s");

    private DebianRoot() {
    }

    /** The cached root file system under {@code cacheDir}, made first when there is none for this package list. */
    static Path ensure(Path cacheDir) throws IOException, InterruptedException {
        List<String> debootstrap = List.of("debootstrap", "--variant=minbase", "--include=" + String.join(",",
                PACKAGES), SUITE);
        Path root = cacheDir.resolve("debian-" + SUITE + "-" + digest(String.join(" ", debootstrap)));
        if (Files.isDirectory(root)) {
            System.out.println("[system test] cached root file system " + root);
            return root;
        }
        Files.createDirectories(cacheDir);
        Path pidFile = cacheDir.resolve("debootstrap.pid");
        killLeftover(pidFile);
        try (Stream<Path> old = Files.list(cacheDir)) {
            // Other package lists' trees, and a partial one left by an interrupted run.
            for (Path stale : old.filter(p -> p.getFileName().toString().startsWith("debian-")).toList()) {
                unmountUnder(stale);
                Command.ok("rm", "-rf", "--one-file-system", stale.toString());
            }
        }
        Path partial = cacheDir.resolve(root.getFileName() + ".partial");
        String mirror = mirror();
        System.out.println("[system test] making the root file system: " + String.join(" ", debootstrap) + " "
                + partial + " " + mirror + " (about two minutes)");
        // In a process group of its own, whose id is kept: a killed run's debootstrap and its dpkg are ended by
        // the next run before it deletes their tree.
        String[] argv = Stream.concat(Stream.of("sh", "-c", "echo $$ > \"$0\" && exec setsid \"$@\"",
                pidFile.toString()), Stream.concat(debootstrap.stream(), Stream.of(partial.toString(), mirror)))
                .toArray(String[]::new);
        Command made = Command.run(DEBOOTSTRAP_TIMEOUT, Map.of(), argv);
        Files.deleteIfExists(pidFile);
        if (made.exitCode() != 0) {
            Path log = partial.resolve("debootstrap/debootstrap.log");
            throw new AssertionError("debootstrap exited " + made.exitCode() + ":\n" + made.output()
                    + (Files.exists(log) ? "\n" + log + ":\n" + Files.readString(log) : ""));
        }
        // The host's name would otherwise be the container's, which the agent's identity then takes.
        Files.writeString(partial.resolve("etc/hostname"), "hvwatch-try\n");
        Files.move(partial, root);
        return root;
    }

    /** A debootstrap a killed run left running: its whole process group, if the pid is still a debootstrap. */
    private static void killLeftover(Path pidFile) throws IOException, InterruptedException {
        if (!Files.exists(pidFile)) {
            return;
        }
        String pid = Files.readString(pidFile).strip();
        Path cmdline = Path.of("/proc", pid, "cmdline");
        if (!pid.isEmpty() && Files.exists(cmdline) && Files.readString(cmdline).contains("debootstrap")) {
            System.out.println("[system test] killing debootstrap " + pid + " and its children, left by an earlier "
                    + "run");
            Command.run("kill", "-KILL", "--", "-" + pid);
            Awaitility.await("debootstrap " + pid + " to end").atMost(Duration.ofSeconds(30))
                    .until(() -> !Files.exists(cmdline));
        }
        Files.delete(pidFile);
    }

    /** What debootstrap mounts in its tree (/proc, /sys) stays mounted when it is killed. */
    private static void unmountUnder(Path tree) throws IOException, InterruptedException {
        List<String> mounts = Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" ")[1])
                .filter(m -> m.startsWith(tree + "/")).sorted(Comparator.reverseOrder()).toList();
        for (String mount : mounts) {
            Command.ok("umount", "--lazy", mount);
        }
    }

    /** The Debian mirror this host's apt uses, so that the test reaches what the machine is allowed to reach. */
    static String mirror() throws IOException {
        Path deb822 = Path.of("/etc/apt/sources.list.d/debian.sources");
        Path oneLine = Path.of("/etc/apt/sources.list");
        return firstMatch(deb822, DEB822_URI).or(() -> firstMatch(oneLine, ONE_LINE_URI)).orElse(DEFAULT_MIRROR);
    }

    private static Optional<String> firstMatch(Path file, Pattern pattern) {
        try {
            if (!Files.isReadable(file)) {
                return Optional.empty();
            }
            Matcher m = pattern.matcher(Files.readString(file));
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String digest(String text) {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
