package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every document the repository's docs, YAML files and Java comments name ({@code <name>.md}) is in the
 * repository, so that a reader is never sent to a page that is not there. A name counts as found relative to the
 * naming file, relative to the repository root, or as the end of a path in the repository (a file that says
 * {@code resources/tracefs/README.md} or {@code vcpu-starvation.md} means the one file of that name). Absolute paths
 * and URLs ({@code /usr/share/doc/…}, {@code https://…}) name installed or external copies and are not checked.
 */
class DocumentReferencesTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    /** A name ending in .md that starts a token: not the tail of a URL or of an absolute path. */
    private static final Pattern REFERENCE =
            Pattern.compile("(?<![\\w./:~-])((?:\\.\\.?/)*\\w[\\w.-]*(?:/[\\w.-]+)*\\.md)(?![\\w-])");
    private static final Set<String> SKIPPED_DIRECTORIES = Set.of("target", "node_modules");
    /** Names that are not in the repository on purpose, with the reason. */
    private static final Map<String, String> NOT_IN_THE_REPOSITORY = Map.of(
            "PACKAGING.md", "the name the packages install packaging/README.md under (packaging/pom.xml)");

    @Test
    void everyNamedDocumentExists() throws IOException {
        assertThat(ROOT.resolve("pom.xml")).as("the tests run in a module of the repository").exists();
        List<Path> files = repositoryFiles();
        List<String> repositoryPaths = files.stream().map(f -> "/" + ROOT.relativize(f).toString()).toList();
        List<String> missing = new ArrayList<>();
        for (Path file : files) {
            String name = file.getFileName().toString();
            if (!name.endsWith(".md") && !name.endsWith(".yaml") && !name.endsWith(".yml") && !name.endsWith(".java")) {
                continue;
            }
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                String text = name.endsWith(".java") ? javaComment(lines.get(i)) : lines.get(i);
                Matcher m = REFERENCE.matcher(text);
                while (m.find()) {
                    String ref = m.group(1);
                    if (!NOT_IN_THE_REPOSITORY.containsKey(ref) && !exists(file, ref, repositoryPaths)) {
                        missing.add(ROOT.relativize(file) + " line " + (i + 1) + ": " + ref);
                    }
                }
            }
        }
        assertThat(missing).as("documents named but not in the repository").isEmpty();
    }

    @Test
    void theScanFindsReferencesAndMissesURLs() {
        assertThat(references("see DESIGN-NOTES.md, \"Metrics\"")).containsExactly("DESIGN-NOTES.md");
        assertThat(references("[runbooks](docs/runbooks/README.md) and (../README.md)"))
                .containsExactly("docs/runbooks/README.md", "../README.md");
        assertThat(references("file:///usr/share/doc/hvwatch-agent/runbooks/x.md https://wiki.example.net/a.md "
                + "/usr/share/doc/hvwatch-collector/README.md <rule>.md {rule}.md .md")).isEmpty();
        assertThat(javaComment("    String s = \"vm-teleported.md\"; // a test file")).isEqualTo(" a test file");
        assertThat(javaComment(" * the schema (DESIGN-NOTES.md)")).isEqualTo(" * the schema (DESIGN-NOTES.md)");
    }

    private static List<String> references(String text) {
        List<String> refs = new ArrayList<>();
        Matcher m = REFERENCE.matcher(text);
        while (m.find()) {
            refs.add(m.group(1));
        }
        return refs;
    }

    /** The comment part of a line of Java: names in string literals are data (test files, URLs), not references. */
    static String javaComment(String line) {
        String trimmed = line.stripLeading();
        if (trimmed.startsWith("*") || trimmed.startsWith("/*") || trimmed.startsWith("//")) {
            return line;
        }
        int comment = line.indexOf("// ");
        return comment < 0 ? "" : line.substring(comment + 2);
    }

    private static boolean exists(Path file, String ref, List<String> repositoryPaths) {
        if (Files.exists(file.getParent().resolve(ref)) || Files.exists(ROOT.resolve(ref))) {
            return true;
        }
        String tail = "/" + ref.replaceFirst("^(\\.\\.?/)+", "");
        return repositoryPaths.stream().anyMatch(p -> p.endsWith(tail));
    }

    private static List<Path> repositoryFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        Files.walkFileTree(ROOT, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String name = dir.getFileName().toString();
                return !dir.equals(ROOT) && (name.startsWith(".") || SKIPPED_DIRECTORIES.contains(name))
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                files.add(f);
                return FileVisitResult.CONTINUE;
            }
        });
        return files;
    }
}
