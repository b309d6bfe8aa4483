package dev.hvwatch.packaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The packages this module built, found in its target directory (system property hvwatch.packages). */
final class Packages {
    static final List<String> NAMES = List.of("hvwatch-agent", "hvwatch-collector");

    private Packages() {
    }

    static Path dir() {
        return Path.of(System.getProperty("hvwatch.packages", "target"));
    }

    static Path deb(String name) {
        return only(dir(), 1, name + "_", ".deb");
    }

    static Path rpm(String name) {
        return only(dir().resolve("rpm"), Integer.MAX_VALUE, name + "-", ".noarch.rpm");
    }

    static Path unit(String name) {
        return Path.of(System.getProperty("hvwatch.units", "src/main/systemd"), name + ".service");
    }

    /**
     * The package with a higher version ({@code VERSION+upgrade}), as the next release would be, written to
     * {@code workDir}: what an upgrade installs over this one.
     */
    static Path withHigherVersion(Path deb, Path workDir) throws IOException, InterruptedException {
        Path tree = workDir.resolve("later-" + deb.getFileName());
        Command.ok("dpkg-deb", "--raw-extract", deb.toString(), tree.toString());
        Path control = tree.resolve("DEBIAN/control");
        Files.writeString(control, Files.readString(control)
                .replaceFirst("(?m)^Version: (.*)$", "Version: $1+upgrade"));
        Path out = workDir.resolve(deb.getFileName().toString()
                .replaceFirst("_([^_]+)_all\\.deb$", "_$1+upgrade_all.deb"));
        // Uncompressed: the test installs it at once, and compressing 30 MB of jars again takes long.
        Command.ok("dpkg-deb", "--root-owner-group", "-Znone", "--build", tree.toString(), out.toString());
        Command.ok("rm", "-rf", tree.toString());
        return out;
    }

    private static Path only(Path dir, int depth, String prefix, String suffix) {
        try (Stream<Path> files = Files.walk(dir, depth)) {
            List<Path> found = files.filter(p -> p.getFileName().toString().startsWith(prefix)
                    && p.getFileName().toString().endsWith(suffix)).toList();
            if (found.size() != 1) {
                throw new IllegalStateException("expected one " + prefix + "*" + suffix + " under " + dir + ", found "
                        + found);
            }
            return found.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
