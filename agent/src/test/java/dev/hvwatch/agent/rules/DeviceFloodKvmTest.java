package dev.hvwatch.agent.rules;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvwatch.agent.Agent;
import dev.hvwatch.agent.MetricsPage;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.RealKvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The finding, reproduced: a process posing as QEMU (argv[0] qemu-system-x86_64, holding /dev/kvm) whose QMP
 * monitor sends DEVICE_DELETED with fresh device ids 50 times a second. The real agent discovers it and reads its
 * monitor; the vm-device-removed rule's default rate limit (10, then one per 6 s) holds back the rest, and counts
 * it.
 */
@Tag("kvm")
class DeviceFloodKvmTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RULE = "vm-device-removed";

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aMonitorFloodingDeviceRemovalsRaisesTheBurstThenOneAlertPerIntervalAndCountsTheRest() throws Exception {
        RealKvm.require();
        Path socket = dir.resolve("qmp.sock");
        Pki pki = Pki.createCa(dir.resolve("pki"), "flood CA");
        TlsFiles agentTls = pki.issueAgent("flood-host");
        AtomicInteger sent = new AtomicInteger();
        Process impostor = null;
        try (FloodingMonitor monitor = new FloodingMonitor(socket, sent)) {
            // bash holds /dev/kvm on fd 3 and stays (a loop, not an exec'd sleep) under QEMU's program name.
            impostor = new ProcessBuilder("bash", "-c", "exec -a qemu-system-x86_64 bash -c "
                    + "'exec 3</dev/kvm; while sleep 1; do :; done' -name guest=impostor -qmp unix:" + socket
                    + ",server=on,wait=off").start();
            AgentConfig config = new AgentConfig(new AgentConfig.Identity("flood-host"),
                    new AgentConfig.Sampling(Duration.ofMillis(500), null), null, null,
                    new AgentConfig.Metrics("127.0.0.1:0"),
                    new AgentConfig.Collector("127.0.0.1:1", null, agentTls.cert(), agentTls.key(), agentTls.ca(),
                            null),
                    new AgentConfig.State(dir.resolve("state")), new AgentConfig.KernelLog(false, null), null, null,
                    null, new AgentConfig.Posture(false, null, null, null, null, null, null, null, null, null), null, null, null);
            long started = System.nanoTime();
            try (Agent agent = Agent.start(config)) {
                Awaitility.await("vm-device-removed alerts raised and held back").atMost(60, TimeUnit.SECONDS)
                        .pollInterval(Duration.ofMillis(500)).until(() -> seen(agent) >= 500);
                double seconds = (System.nanoTime() - started) / 1e9;
                MetricsPage page = MetricsPage.scrape(agent.metricsAddress());
                double raised = page.value("hvwatch_alerts_total{rule=\"" + RULE + "\",severity=\"low\"}");
                // Firing alerts only (resolutions come a minute later): the burst of 10, then one per 6 s.
                assertThat(raised).isBetween(10.0, 10 + seconds / 6 + 1);
                assertThat(page.value("hvwatch_alerts_suppressed_total{rule=\"" + RULE + "\"}"))
                        .isGreaterThanOrEqualTo(500 - raised);
                assertThat(sent.get()).as("removals the monitor sent").isGreaterThanOrEqualTo(500);
            }
        } finally {
            if (impostor != null) {
                impostor.descendants().forEach(ProcessHandle::destroyForcibly);
                impostor.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Alerts of the rule raised and held back so far. */
    private static double seen(Agent agent) throws Exception {
        MetricsPage page = MetricsPage.scrape(agent.metricsAddress());
        return page.value("hvwatch_alerts_total{rule=\"" + RULE + "\",severity=\"low\"}")
                + page.value("hvwatch_alerts_suppressed_total{rule=\"" + RULE + "\"}");
    }

    /** A QMP monitor that answers every command and sends DEVICE_DELETED with a fresh id every 20 ms. */
    private static final class FloodingMonitor implements AutoCloseable {
        private final ServerSocketChannel server;
        private final Thread acceptor;

        FloodingMonitor(Path socket, AtomicInteger sent) throws IOException {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            acceptor = new Thread(() -> {
                try {
                    while (true) {
                        SocketChannel client = server.accept();
                        Thread t = new Thread(() -> serve(client, sent), "flooding-qmp");
                        t.setDaemon(true);
                        t.start();
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "flooding-qmp-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private static void serve(SocketChannel client, AtomicInteger sent) {
            try (client) {
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                        StandardCharsets.UTF_8));
                write(client, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, "
                        + "\"capabilities\": []}}");
                JsonNode capabilities = JSON.readTree(in.readLine());
                write(client, "{\"return\": {}, \"id\": " + capabilities.get("id") + "}");
                Thread answers = new Thread(() -> {
                    try {
                        for (String line; (line = in.readLine()) != null; ) {
                            JsonNode command = JSON.readTree(line);
                            String name = command.path("execute").asText();
                            String result = List.of("query-stats-schemas", "query-cpus-fast", "qom-list",
                                    "query-stats").contains(name) ? "[]" : "{}";
                            write(client, "{\"return\": " + result + ", \"id\": " + command.get("id") + "}");
                        }
                    } catch (IOException e) {
                        // the agent hung up
                    }
                }, "flooding-qmp-answers");
                answers.setDaemon(true);
                answers.start();
                for (int n = 0; answers.isAlive(); n++) {
                    long now = System.currentTimeMillis();
                    write(client, "{\"timestamp\": {\"seconds\": " + now / 1000 + ", \"microseconds\": "
                            + (now % 1000) * 1000 + "}, \"event\": \"DEVICE_DELETED\", \"data\": {\"device\": "
                            + "\"hp" + n + "\", \"path\": \"/machine/peripheral/hp" + n + "\"}}");
                    sent.incrementAndGet();
                    Thread.sleep(20);
                }
            } catch (IOException | InterruptedException e) {
                // the agent hung up or the test ended
            }
        }

        /**
         * Straight to the channel: a stream from {@code Channels.newOutputStream} would wait for the channel's
         * blocking lock, which the reader holds while it waits for the agent's next command, and so send one event
         * per command instead of a flood.
         */
        private static void write(SocketChannel client, String line) throws IOException {
            ByteBuffer bytes = ByteBuffer.wrap((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            synchronized (client) {
                while (bytes.hasRemaining()) {
                    client.write(bytes);
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
