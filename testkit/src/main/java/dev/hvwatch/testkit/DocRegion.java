package dev.hvwatch.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A region of a Markdown file in the repository that is generated from the code, between
 * {@code <!-- generated: NAME -->} and {@code <!-- end generated: NAME -->}. A test compares it with what the code
 * generates now, so the docs cannot drift; run with {@code -Ddocs.update=true} to rewrite it, then review the diff.
 */
public record DocRegion(Path file, String name) {

    /** A file by its path from the repository's root (tests run in their module's directory). */
    public static DocRegion of(String fromRoot, String name) {
        return new DocRegion(Path.of("..").resolve(fromRoot).normalize(), name);
    }

    /** The region's text now, without its markers. */
    public String text() {
        String doc = read();
        int start = doc.indexOf(begin());
        int end = doc.indexOf(end());
        if (start < 0 || end < start) {
            throw new AssertionError(file + " has no region '" + begin() + "' … '" + end() + "'");
        }
        return doc.substring(start + begin().length(), end).strip() + "\n";
    }

    /**
     * Asserts that the region holds {@code generated}, or with {@code -Ddocs.update=true} writes it there;
     * {@code regenerate} is the command that does so, printed when they differ.
     */
    public void assertHolds(String generated, String regenerate) {
        String now = text();
        if (Boolean.getBoolean("docs.update") && !now.equals(generated)) {
            String doc = read();
            int start = doc.indexOf(begin()) + begin().length();
            write(doc.substring(0, start) + "\n" + generated + doc.substring(doc.indexOf(end())));
            return;
        }
        assertEquals(generated, now, file + ", region '" + name + "', differs from what the code generates. "
                + "Regenerate it with\n  " + regenerate + " -Ddocs.update=true\nthen review the diff.");
    }

    /** The rows of the region's table, by their first cell: that row's last cell (e.g. a key's meaning). */
    public Map<String, String> lastCellByFirst() {
        Map<String, String> cells = new LinkedHashMap<>();
        for (String line : text().split("\n")) {
            if (!line.startsWith("| ") || line.startsWith("| ---")) {
                continue;
            }
            String[] c = line.substring(2, line.length() - (line.endsWith(" |") ? 2 : 0)).split(" \\| ", -1);
            cells.put(c[0].strip(), c.length > 1 ? c[c.length - 1].strip() : "");
        }
        return cells;
    }

    private String begin() {
        return "<!-- generated: " + name + " -->";
    }

    private String end() {
        return "<!-- end generated: " + name + " -->";
    }

    private String read() {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(String doc) {
        try {
            Files.writeString(file, doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
