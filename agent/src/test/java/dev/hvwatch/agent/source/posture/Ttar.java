package dev.hvwatch.agent.source.posture;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Extracts a fixture tree kept in node_exporter's ttar format (a text archive that also holds symbolic links and NUL
 * bytes, as sysfs and procfs trees need): {@code Directory: P}, {@code Path: P} with {@code Lines: N} and N lines
 * ({@code NULLBYTE} for a NUL, a trailing {@code EOF} for a last line without newline) or {@code SymlinkTo: T},
 * {@code Mode:} lines, and {@code #} comment lines between entries. A later archive extracted over an earlier one
 * replaces its files, so scenarios are written as overlays on a base host.
 */
public final class Ttar {
    private Ttar() {
    }

    public static void extract(String resource, Path into) {
        List<String> lines;
        try (InputStream in = Ttar.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + resource + " on the test classpath");
            }
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.startsWith("Directory: ")) {
                    Files.createDirectories(into.resolve(line.substring("Directory: ".length())));
                } else if (line.startsWith("Path: ")) {
                    Path path = into.resolve(line.substring("Path: ".length()));
                    Files.createDirectories(path.getParent());
                    String next = lines.get(++i);
                    // A regular file is rewritten in place, as the kernel's files change: a reader holding it open
                    // (schedstat's pread) sees the new content, not a deleted inode's.
                    if (next.startsWith("SymlinkTo: ") || Files.isSymbolicLink(path)) {
                        Files.deleteIfExists(path);
                    }
                    if (next.startsWith("SymlinkTo: ")) {
                        Files.createSymbolicLink(path, Path.of(next.substring("SymlinkTo: ".length())));
                    } else if (next.startsWith("Lines: ")) {
                        int n = Integer.parseInt(next.substring("Lines: ".length()));
                        StringBuilder content = new StringBuilder();
                        for (int k = 0; k < n; k++) {
                            String text = lines.get(++i).replace("NULLBYTE", "\0");
                            content.append(text.endsWith("EOF") ? text.substring(0, text.length() - 3) : text + "\n");
                        }
                        Files.writeString(path, content);
                    } else {
                        throw new IllegalArgumentException(resource + " line " + (i + 1) + ": expected Lines: or "
                                + "SymlinkTo: after Path:, got '" + next + "'");
                    }
                } else if (!line.startsWith("#") && !line.startsWith("Mode: ") && !line.isBlank()) {
                    throw new IllegalArgumentException(resource + " line " + (i + 1) + ": unexpected '" + line + "'");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
