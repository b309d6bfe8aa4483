package dev.hvwatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every test that needs KVM or libvirt carries the JUnit tag {@code kvm}, so {@code mvn test -DexcludedGroups=kvm}
 * runs the hermetic rest quickly. Such a test is recognised by the calls that make it fail on CI without KVM or
 * libvirt ({@link RealKvm#require()}, {@link RealKvm#requireHost}, {@link Libvirtd#require()}); this checks every
 * module's test sources, so a new guest test without the tag fails here.
 */
class KvmTagTest {
    private static final Pattern NEEDS_KVM =
            Pattern.compile("RealKvm\\.require\\(\\)|RealKvm\\.requireHost\\(|Libvirtd\\.require\\(\\)");
    private static final String TAG = "@Tag(\"kvm\")";

    @Test
    void everyTestThatNeedsKvmOrLibvirtIsTaggedKvm() throws IOException {
        List<Path> sources = testSources();
        assertThat(sources).as("test sources of the modules").hasSizeGreaterThan(50);

        List<String> untagged = sources.stream().filter(KvmTagTest::isTest).filter(KvmTagTest::needsKvm)
                .filter(p -> !read(p).contains(TAG)).map(Path::toString).toList();

        assertThat(untagged).as("test classes that need KVM or libvirt but lack " + TAG).isEmpty();
    }

    @Test
    void theRecogniserSeesAGuestTest() {
        assertThat(NEEDS_KVM.matcher("void t() { RealKvm" + ".require(); }").find()).isTrue();
        assertThat(NEEDS_KVM.matcher("RealKvm.require(Optional.empty(), true, true)").find()).isFalse();
    }

    private static List<Path> testSources() throws IOException {
        List<Path> testRoots;
        try (Stream<Path> modules = Files.list(Path.of("..").toRealPath())) {
            testRoots = modules.map(m -> m.resolve("src/test/java")).filter(Files::isDirectory).toList();
        }
        List<Path> sources = new ArrayList<>();
        for (Path root : testRoots) {
            try (Stream<Path> files = Files.walk(root)) {
                files.filter(p -> p.toString().endsWith(".java")).forEach(sources::add);
            }
        }
        return sources;
    }

    private static boolean isTest(Path source) {
        String text = read(source);
        return text.contains("@Test") || text.contains("@Property");
    }

    private static boolean needsKvm(Path source) {
        return NEEDS_KVM.matcher(read(source)).find();
    }

    private static String read(Path source) {
        try {
            return Files.readString(source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
