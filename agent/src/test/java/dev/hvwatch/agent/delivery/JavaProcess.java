package dev.hvwatch.agent.delivery;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A JVM child on the tests' own class path, with Chronicle Queue's flags, its output appended to a log file. */
final class JavaProcess {
    private static final List<String> CHRONICLE_FLAGS = List.of(
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED");

    private final List<String> command = new ArrayList<>();
    private final Path log;
    private Process process;

    JavaProcess(Path log, Class<?> main, String... args) {
        this.log = log;
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(CHRONICLE_FLAGS);
        command.addAll(List.of("-XX:+UseSerialGC", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(List.of(args));
    }

    JavaProcess start() throws IOException {
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return this;
    }

    /** SIGKILL: no shutdown hook, no flush, no close; what is on disk is what survives. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("process " + process.pid() + " survived SIGKILL");
        }
    }

    /** SIGTERM, as systemd stops a service; the exit code, once the process ended within the deadline. */
    int terminate(Duration deadline) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("process " + process.pid() + " still running " + deadline + " after SIGTERM");
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }
}
