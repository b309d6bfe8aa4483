package dev.hvwatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host program to completion and keeps what it printed, for the tools tests drive (virsh, pkill). */
public final class HostCommand {
    private HostCommand() {
    }

    /** What a finished command said. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs {@code argv} (stdout and stderr together) and waits at most {@code timeout}. */
    public static Result run(Duration timeout, List<String> argv) {
        Path output = null;
        try {
            // Into a file, not a pipe: reading a pipe to its end would wait for the command past the timeout.
            output = Files.createTempFile("hvwatch-command-", ".out");
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", argv) + ": still running after " + timeout
                        + "; it printed: " + Files.readString(output).strip());
            }
            return new Result(p.exitValue(), Files.readString(output).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + argv.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + argv.get(0), e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }

    /** Like {@link #run}, and a non-zero exit is an error carrying what the command printed. */
    public static String check(Duration timeout, String... argv) {
        Result r = run(timeout, List.of(argv));
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", argv) + " exited with " + r.exitCode() + ": "
                    + r.output());
        }
        return r.output();
    }
}
