package dev.hvwatch.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.testkit.HostTool;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A command line run to its end, its output (stdout and stderr together) and exit code; tools it needs. */
record Command(List<String> argv, int exitCode, String output) {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    static Command run(String... argv) throws IOException, InterruptedException {
        return run(Map.of(), argv);
    }

    static Command run(Map<String, String> env, String... argv) throws IOException, InterruptedException {
        return run(TIMEOUT, env, argv);
    }

    /**
     * Runs it, its output going to a file rather than a pipe, so that the timeout holds even when the command
     * leaves a process behind that keeps the output open (a daemon it started).
     */
    static Command run(Duration timeout, Map<String, String> env, String... argv)
            throws IOException, InterruptedException {
        Path output = Files.createTempFile("hvwatch-command-", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(env);
            Process p = builder.start();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", argv) + " still running after " + timeout.toSeconds()
                        + " s; output so far:\n" + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Command(List.of(argv), p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** Runs it and asserts it succeeded, showing the output when it did not. */
    static String ok(String... argv) throws IOException, InterruptedException {
        Command c = run(argv);
        assertThat(c.exitCode()).as("%s exit code; output:%n%s", String.join(" ", argv), c.output()).isZero();
        return c.output();
    }

    /**
     * The test needs {@code tool} (a Debian package, see scripts/install-deps) and, for {@code root}, root: a
     * developer without them skips it; CI, whose set-up provides both, fails.
     */
    static void require(String tool, boolean root) throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        if (run("sh", "-c", "command -v " + tool).exitCode() != 0) {
            missing.add(tool + " is not installed (scripts/install-deps test)");
        }
        if (root && !"root".equals(System.getProperty("user.name"))) {
            missing.add("installing packages takes root");
        }
        HostTool.requireOnCi(missing.isEmpty(), String.join("; ", missing));
    }
}
