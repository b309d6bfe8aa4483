package dev.hvwatch.collector.testing;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/**
 * {@code hvwatch-collector run} as a JVM of its own, started the way its launcher starts it, for tests that need the
 * collector apart from the test's process: to limit and measure its memory, to read its log.
 */
public final class CollectorProcess implements AutoCloseable {
    private static final Pattern RSS = Pattern.compile("^VmRSS:\\s+(\\d+) kB$", Pattern.MULTILINE);

    private final Path log;
    private final Process process;

    /** Starts it on {@code config} with {@code jvmOptions} and returns once it listens. */
    public CollectorProcess(Path config, Path log, String... jvmOptions) throws IOException, InterruptedException {
        this.log = log;
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
                "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED"));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.hvwatch.collector.CollectorMain",
                "run", "--config", config.toString()));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        try {
            await("the collector listening").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .failFast("the collector exited", () -> !process.isAlive())
                    .until(() -> log().contains("collector listening on"));
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            close();
            fail("the collector did not start:\n" + log(), e);
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Its resident set, from /proc. */
    public long rssBytes() throws IOException {
        Matcher rss = RSS.matcher(Files.readString(Path.of("/proc", Long.toString(process.pid()), "status")));
        if (!rss.find()) {
            throw new IOException("no VmRSS for process " + process.pid());
        }
        return Long.parseLong(rss.group(1)) * 1024;
    }

    public String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
