package dev.hvwatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The agent's demo mode uses this module without JUnit, and relies on the shutdown hook to stop guests. */
@Tag("kvm")
@Timeout(60)
class WithoutJUnitTest {

    @Test
    void probeWorksWithoutJUnitAndItsGuestDiesWithTheJvm() throws Exception {
        String output = runProbe();

        Optional<String> reason = RealKvm.unavailableReason();
        if (reason.isPresent()) {
            assertThat(output).isEqualTo("unavailable " + reason.get());
            RealKvm.require();
        }
        assertThat(output).startsWith("started ");
        String[] started = output.split(" ");
        Optional<ProcessHandle> leftover = ProcessHandle.of(Long.parseLong(started[1])).filter(ProcessHandle::isAlive);
        leftover.ifPresent(ProcessHandle::destroyForcibly);
        assertThat(leftover).as("qemu left running after the JVM exited").isEmpty();
        assertThat(Path.of(started[2])).doesNotExist();
    }

    private static String runProbe() throws IOException, InterruptedException {
        String classpath = codeSource(QemuGuest.class) + ":" + codeSource(WithoutJUnitProbe.class);
        Process probe = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "-cp", classpath, WithoutJUnitProbe.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(probe.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(probe.exitValue()).as("probe exit status, output: %s", output).isZero();
        return output;
    }

    private static String codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
