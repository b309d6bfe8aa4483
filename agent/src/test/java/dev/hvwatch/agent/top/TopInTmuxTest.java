package dev.hvwatch.agent.top;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.Agent;
import dev.hvwatch.agent.AgentMain;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code top} as an operator sees it: a real agent watching a busy and an idle QEMU/KVM guest, {@code top} run by a
 * shell in an 80×24 tmux pane (a pseudo-terminal, as over SSH), keys typed with send-keys and the screen read with
 * capture-pane; after q, and after Ctrl-C, the shell gets its terminal back in its usual modes.
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
class TopInTmuxTest {
    private static final String BUSY = "top-busy";
    private static final String IDLE = "top-idle";
    /** A private tmux server, so that the test neither sees nor disturbs anyone's sessions. */
    private final String server = "hvwatch-top-" + UUID.randomUUID();

    @TempDir
    Path dir;

    @AfterEach
    void stopTmux() throws Exception {
        tmux("kill-server");
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void showsTheGuestsByNameWithTheBusyOnesFiguresSortsAndGivesTheTerminalBack() throws Exception {
        RealKvm.require();
        RealKvm.requireHost(tmux("-V").startsWith("tmux"), "tmux");
        QemuGuest busy = QemuGuest.builder().name(BUSY).program(GuestProgram.IO_STORM).qmpSocket(true).start();
        QemuGuest idle = QemuGuest.builder().name(IDLE).program(GuestProgram.IDLE).qmpSocket(true).start();
        busy.awaitVcpuThreads(Duration.ofSeconds(10));
        idle.awaitVcpuThreads(Duration.ofSeconds(10));

        try (Agent agent = Agent.start(agentConfig())) {
            tmux("new-session", "-d", "-s", "top", "-x", "80", "-y", "24", "bash --norc --noprofile");
            String top = topCommand(agent.metricsAddress().getPort());
            type(top);

            List<String> screen = Awaitility.await("top showing rates for " + BUSY).atMost(30, TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(300)).until(this::screen,
                            lines -> row(lines, BUSY).filter(r -> !r[1].equals("-")).isPresent());
            System.out.println("top in an 80x24 tmux pane:\n" + String.join("\n", screen));
            assertThat(screen).hasSize(24).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(80));
            assertThat(screen.get(0)).startsWith("hvwatch top  127.0.0.1:");
            assertThat(screen).anySatisfy(line -> assertThat(line).startsWith("VM ").contains("EXITS/s", "STEAL%"));
            String[] busyRow = row(screen, BUSY).orElseThrow();
            assertThat(perSecond(busyRow[1])).as("exits/s of the port-I/O guest in %s", screen).isPositive();
            assertThat(Double.parseDouble(busyRow[3])).as("CPU%% of the port-I/O guest in %s", screen).isPositive();
            assertThat(row(screen, IDLE)).as("the idle guest in %s", screen).isPresent();

            tmux("send-keys", "-t", "top", "n");
            Awaitility.await("sorted by name").atMost(5, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                    .until(() -> String.join("\n", screen()), s -> s.contains("sorted by name")
                            && s.indexOf(BUSY) < s.indexOf(IDLE));
            tmux("send-keys", "-t", "top", "r");
            Awaitility.await("reversed").atMost(5, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                    .until(() -> String.join("\n", screen()), s -> s.contains("sorted by name, reversed")
                            && s.indexOf(IDLE) < s.indexOf(BUSY));

            tmux("send-keys", "-t", "top", "q");
            assertShellHasItsTerminalBack();

            type(top);
            Awaitility.await("top running again").atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(300))
                    .until(this::screen, lines -> row(lines, BUSY).isPresent());
            tmux("send-keys", "-t", "top", "C-c");
            assertShellHasItsTerminalBack();
        }
    }

    /** top has exited, the alternate screen is gone, and the pty is back in canonical mode with echo and signals. */
    private void assertShellHasItsTerminalBack() throws Exception {
        Awaitility.await("top exited").atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                .until(() -> tmux("display-message", "-p", "-t", "top", "#{pane_current_command}").strip(),
                        "bash"::equals);
        assertThat(screen()).noneMatch(line -> line.startsWith("hvwatch top"));
        Path modes = dir.resolve("stty-" + UUID.randomUUID());
        type("stty -a > " + modes + ".tmp && mv " + modes + ".tmp " + modes + " && clear");
        Awaitility.await("stty's answer").atMost(5, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.exists(modes));
        assertThat(Files.readString(modes).split("[\\s;]+")).contains("isig", "icanon", "echo")
                .doesNotContain("-isig", "-icanon", "-echo");
    }

    private AgentConfig agentConfig() throws Exception {
        Pki pki = Pki.createCa(dir.resolve("pki"), "top test CA");
        TlsFiles tls = pki.issueAgent("top-host");
        // No collector: alerts wait in the spool, which is all this test needs of them.
        return new AgentConfig(new AgentConfig.Identity("top-host"),
                new AgentConfig.Sampling(Duration.ofMillis(500), null), null, null,
                new AgentConfig.Metrics("127.0.0.1:0"),
                new AgentConfig.Collector("127.0.0.1:9", null, tls.cert(), tls.key(), tls.ca(), null),
                new AgentConfig.State(dir.resolve("state")), null, null, null, null, null, null, null, null);
    }

    /**
     * A script that runs top from the tests' class path, as the packaged launcher runs it from its jars. The shell
     * is given the script's short name: a terminal in canonical mode cuts a typed line at 4095 characters, which a
     * class path exceeds.
     */
    private String topCommand(int metricsPort) throws IOException {
        Path script = dir.resolve("top.sh");
        Files.writeString(script, String.join(" ", "exec", Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", "'" + System.getProperty("java.class.path") + "'", AgentMain.class.getName(),
                "top", "--url", "http://127.0.0.1:" + metricsPort + "/metrics", "--delay", "1s") + "\n");
        return "sh " + script;
    }

    private static Optional<String[]> row(List<String> screen, String vm) {
        return screen.stream().filter(l -> l.startsWith(vm + " ")).map(l -> l.trim().split(" +")).findFirst();
    }

    private static double perSecond(String compact) {
        double scale = compact.endsWith("k") ? 1e3 : compact.endsWith("M") ? 1e6 : 1;
        return Double.parseDouble(scale == 1 ? compact : compact.substring(0, compact.length() - 1)) * scale;
    }

    private void type(String line) throws Exception {
        tmux("send-keys", "-t", "top", "-l", line);
        tmux("send-keys", "-t", "top", "Enter");
    }

    private List<String> screen() throws Exception {
        return Arrays.asList(tmux("capture-pane", "-p", "-t", "top").split("\n", -1)).subList(0, 24);
    }

    private String tmux(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tmux", "-L", server));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }
}
