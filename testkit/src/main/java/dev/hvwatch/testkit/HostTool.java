package dev.hvwatch.testkit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A program from a Debian package that a test runs for real (promtool, rsyslogd, …). Where it is missing the test
 * is skipped, but on CI, whose set-up (scripts/install-deps) installs it, that is a failure.
 */
public final class HostTool {
    private HostTool() {
    }

    /** The program's path; skips or fails the calling test when it is not installed. */
    public static Path require(String program, String debianPackage) {
        List<String> dirs = new ArrayList<>(List.of(String.valueOf(System.getenv("PATH")).split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/sbin", "/sbin"));
        for (String dir : dirs) {
            Path candidate = Path.of(dir, program);
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        requireOnCi(false, program + " is not installed (Debian package " + debianPackage + ")");
        throw new AssertionError("unreachable: requireOnCi throws");
    }

    /**
     * Returns when {@code available}; otherwise skips the calling test, or fails it on CI, whose set-up
     * (scripts/install-deps) provides what the tests need.
     *
     * @param missing what is missing, for the skip or failure message
     */
    public static void requireOnCi(boolean available, String missing) {
        if (available) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(missing + ": scripts/install-deps provides it for CI");
        }
        Assumptions.abort(missing);
    }
}
