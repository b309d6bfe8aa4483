package dev.hvwatch.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.testkit.RealKvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./hvwatch demo}, the README's first command, as a user runs it: its own JVM, real guests, the collector in
 * the same process printing the alerts it journals; stopped with SIGTERM, it leaves no guest behind.
 */
@Tag("kvm")
class DemoMainTest {
    private static final Duration DEADLINE = Duration.ofSeconds(150);
    private static final Pattern STARVATION = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d  high +vcpu-starvation +demo-victim ");
    private static final Pattern ANY_ALERT = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d  ");
    private static final Pattern PORT_IO = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d  high +vm-port-io-storm +demo-io ");

    @TempDir
    Path dir;

    @Test
    void theDemoPrintsStarvationNamingTheNoisyGuestAndAPortIoStormEachOnceAndItsGuestsStopWithIt() throws Exception {
        RealKvm.require();
        Path out = dir.resolve("demo.out");
        Process demo = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
                "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), DemoMain.class.getName(),
                "--state-dir", dir.resolve("state").toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            // The rules' 'for' (10 s, 20 s) after the guests start, on a busy 2-CPU machine.
            Awaitility.await().atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
                    .until(() -> !alertLines(out, STARVATION).isEmpty() && !alertLines(out, PORT_IO).isEmpty());
            List<String> alerts = alertLines(out, ANY_ALERT);
            assertThat(alerts).as("each alert printed once").doesNotHaveDuplicates();
            assertThat(alertLines(out, STARVATION).get(0)).as("the starvation names who took the CPU")
                    .contains("the CPU went to VM demo-noisy");
            assertThat(Files.readAllLines(out)).anyMatch(l -> l.startsWith("hvwatch: embedded collector on 127.0.0.1:"))
                    .anyMatch(l -> l.contains("./hvwatch agent top"))
                    .as("the agent's own log of the alerts is quiet").noneMatch(l -> l.contains(" INFO "));
        } finally {
            demo.destroy();
            assertThat(demo.waitFor(30, TimeUnit.SECONDS)).as("the demo ends on SIGTERM").isTrue();
        }
        String started = Files.readAllLines(out).stream().filter(l -> l.startsWith("hvwatch: demo started guests "))
                .findFirst().orElseThrow();
        Matcher pids = Pattern.compile("\\(pid (\\d+)").matcher(started);
        List<Path> guests = new ArrayList<>();
        while (pids.find()) {
            guests.add(Path.of("/proc", pids.group(1)));
        }
        assertThat(guests).as(started).hasSize(3);
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> guests.stream().noneMatch(Files::exists));
    }

    /** The demo's alert lines (time, severity, rule, VM, message) that match. */
    private static List<String> alertLines(Path out, Pattern alert) throws IOException {
        return Files.readAllLines(out).stream().filter(l -> alert.matcher(l).find()).toList();
    }
}
