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
        return only(dir(), name + "_", ".deb");
    }

    static Path rpm(String name) {
        return only(dir().resolve("rpm"), name + "-", ".noarch.rpm");
    }

    static Path unit(String name) {
        return Path.of(System.getProperty("hvwatch.units", "src/main/systemd"), name + ".service");
    }

    private static Path only(Path dir, String prefix, String suffix) {
        try (Stream<Path> files = Files.walk(dir)) {
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
