package dev.hvwatch.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.agent.Agent;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus scraping a real agent that watches real guests, with the rule file loaded: every expression of
 * every dashboard and rule evaluates without error, and the core panels draw the test guests.
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
class PrometheusKvmTest {
    private static final Set<String> GUESTS = Set.of("busy-a", "busy-b", "io");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void everyExpressionEvaluatesAndTheCorePanelsShowTheGuests() throws Exception {
        RealKvm.require();
        RealKvm.requireHost(Files.isDirectory(Path.of("/sys/kernel/tracing/events/kvm")),
                "tracefs with the kvm events at /sys/kernel/tracing");
        QemuGuest.builder().name("busy-a").program(GuestProgram.CPU_SPIN).pinCpus("0").start();
        QemuGuest.builder().name("busy-b").program(GuestProgram.CPU_SPIN).pinCpus("0").start();
        QemuGuest.builder().name("io").program(GuestProgram.IO_STORM).pinCpus("1").qmpSocket(true).start();

        try (Agent agent = Agent.start(agentConfig());
             PrometheusServer prometheus = PrometheusServer.start(Files.createDirectory(dir.resolve("prometheus")),
                     agent.metricsAddress().getPort(), RulesTest.RULES)) {
            Awaitility.await("5-minute rates of the guests' steal, from a few scrapes")
                    .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> vms(prometheus.query("hvwatch:vm_steal:ratio_rate5m")).containsAll(GUESTS));

            List<String> failures = new ArrayList<>();
            for (Expressions.Expression e : Expressions.all()) {
                JsonNode answer = prometheus.query(e.resolved());
                if (!answer.path("status").asText().equals("success")) {
                    failures.add(e.where() + ": " + e.resolved() + " -> " + answer.path("error").asText());
                }
            }
            assertThat(failures).as("expressions Prometheus rejected").isEmpty();

            assertThat(vms(panel("hvwatch-vm-fairness.json", "CPU share of the host (10 s)", prometheus)))
                    .containsAll(GUESTS);
            assertThat(vms(panel("hvwatch-vm-fairness.json", "Steal", prometheus))).containsAll(GUESTS);
            JsonNode fairness = panel("hvwatch-host-overview.json", "CPU fairness index (10 s)", prometheus);
            assertThat(fairness.path("data").path("result")).hasSize(1);
            double index = fairness.path("data").path("result").get(0).path("value").get(1).asDouble();
            assertThat(index).as("two spinners share CPU 0, the I/O guest has CPU 1").isBetween(0.5, 1.0);
            // VM exits: kvm_exit never fires on a host whose KVM runs nested in software mode (this one), the
            // exit-related tracepoints do; a hardware host fills both panels.
            JsonNode tracepoints = panel("hvwatch-vm-exits.json", "Exit-related tracepoints per second", prometheus);
            JsonNode exits = panel("hvwatch-vm-exits.json", "VM exits per second by reason", prometheus);
            Set<String> exiting = vms(tracepoints);
            exiting.addAll(vms(exits));
            assertThat(exiting).contains("io");

            // The two spinners on CPU 0 wait for each other (about half of their time each): the agent's attribution
            // runs, and each is the other's noisy neighbour; io, alone on CPU 1, slows neither.
            Awaitility.await("who slows whom, once the interference series have two scrapes")
                    .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> pairs(panel("hvwatch-host-overview.json", "Who slows whom (5 min)", prometheus))
                            .containsAll(Set.of("busy-a<-busy-b", "busy-b<-busy-a")));
            assertThat(pairs(panel("hvwatch-host-overview.json", "Wait caused by each neighbour", prometheus)))
                    .contains("busy-a<-busy-b").noneMatch(p -> p.contains("io"));
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void promtoolFindsNothingToSayAboutTheAgentsMetrics() throws Exception {
        RealKvm.require();
        QemuGuest guest = QemuGuest.builder().name("lint").program(GuestProgram.IO_STORM).qmpSocket(true).start();
        try (Agent agent = Agent.start(agentConfig())) {
            String metrics = Awaitility.await("the guest's series").atMost(Duration.ofSeconds(20))
                    .until(() -> scrape(agent), m -> m.contains("hvwatch_vm_steal_ratio{vm=\"lint\"}"));
            Promtool.Result r = Promtool.run(dir, metrics.getBytes(StandardCharsets.UTF_8), "check", "metrics");
            assertThat(r.output()).as("promtool check metrics").isEmpty();
            assertThat(r.exitCode()).isZero();
        } finally {
            guest.close();
        }
    }

    /** The agent's defaults but for a short sampling interval; no collector listens, so alerts stay spooled. */
    private AgentConfig agentConfig() throws Exception {
        TlsFiles tls = Pki.createCa(dir.resolve("pki"), "dashboards CA").issueAgent("dashboards");
        return new AgentConfig(new AgentConfig.Identity("dashboards"),
                new AgentConfig.Sampling(Duration.ofMillis(500), null), null, null,
                new AgentConfig.Metrics("127.0.0.1:0"),
                new AgentConfig.Collector("127.0.0.1:9", null, tls.cert(), tls.key(), tls.ca(), null),
                new AgentConfig.State(dir.resolve("state")), null, null, null, null, null, null, null, null);
    }

    private static String scrape(Agent agent) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + agent.metricsAddress().getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The first query of a dashboard's panel, as Grafana would send it with every host and VM selected. */
    private static JsonNode panel(String dashboard, String title, PrometheusServer prometheus) throws Exception {
        for (JsonNode p : Expressions.read(Expressions.GRAFANA.resolve(dashboard)).path("panels")) {
            if (p.path("title").asText().equals(title)) {
                return prometheus.query(new Expressions.Expression(title, p.path("targets").get(0).path("expr")
                        .asText()).resolved());
            }
        }
        throw new AssertionError(dashboard + " has no panel '" + title + "'");
    }

    /** The victim and antagonist pairs of an answer's series that have a value above zero. */
    private static Set<String> pairs(JsonNode answer) {
        Set<String> pairs = new HashSet<>();
        for (JsonNode series : answer.path("data").path("result")) {
            if (series.path("value").get(1).asDouble() > 0) {
                pairs.add(series.path("metric").path("vm").asText() + "<-"
                        + series.path("metric").path("antagonist").asText());
            }
        }
        return pairs;
    }

    /** The VMs of an answer's series that have a value above zero. */
    private static Set<String> vms(JsonNode answer) {
        Set<String> names = new HashSet<>();
        for (JsonNode series : answer.path("data").path("result")) {
            if (series.path("value").get(1).asDouble() > 0) {
                names.add(series.path("metric").path("vm").asText());
            }
        }
        return names;
    }
}
