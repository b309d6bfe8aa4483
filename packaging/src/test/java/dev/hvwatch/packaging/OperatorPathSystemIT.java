package dev.hvwatch.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.HostTool;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The operator's path under a real systemd: docs/operator-guide.md, "Trying the packages in a container", command by
 * command, in a Debian root file system booted by systemd-nspawn. Each command is first found word for word in the
 * guide, so the guide and what is tested cannot drift apart. On the way: apt-get resolves the packages'
 * dependencies; certificates go to their service users; both units start; a real QEMU/KVM guest storms port I/O and
 * every agent source is up; the collector journals the alert and its API hands it out with a token; a reload brings
 * in a new rule; restarts lose and duplicate nothing; the agent's unit confines it as documented; an upgrade keeps
 * configuration, certificates and state and restarts both services; a purge leaves no state, user or unit.
 *
 * <p>Run with {@code -Psystem-test} (./hvwatch test does); each step is printed with its duration.
 */
class OperatorPathSystemIT {
    private static final Path GUIDE = Path.of(System.getProperty("hvwatch.guide", "../docs/operator-guide.md"));
    private static final Path WORK = Path.of(System.getProperty("hvwatch.systemtest.dir", "target/system-test"));
    private static final Duration ALERT_DEADLINE = Duration.ofSeconds(120);
    private static final Duration POLL = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AGENT_IDENTITY = "hvwatch-try";
    /** The agent's capabilities in /proc/PID/status: DAC_OVERRIDE, DAC_READ_SEARCH, SYS_PTRACE, SYSLOG, PERFMON. */
    private static final long AGENT_CAPABILITIES = 1L << 1 | 1L << 2 | 1L << 19 | 1L << 34 | 1L << 38;
    private static final String AGENT_CAPABILITY_NAMES = "+dac_override,+dac_read_search,+sys_ptrace,+syslog,+perfmon";
    private static final List<String> OK_OR_BETTER = List.of("PERFECT", "SAFE", "OK");

    // The guide's commands, in the order the guide gives them.
    static final String NSPAWN_OPTIONS = "--bind=/dev/kvm --bind=/dev/kmsg --system-call-filter=perf_event_open "
            + "--capability=all";
    static final String INSTALL = "cd /srv/hvwatch && apt-get install -y ./hvwatch-collector_*_all.deb "
            + "./hvwatch-agent_*_all.deb";
    static final String CA = "hvwatch-collector certs ca --dir /etc/hvwatch/tls";
    static final String COLLECTOR_CERTIFICATE = "hvwatch-collector certs issue-collector --dir /etc/hvwatch/tls "
            + "--owner hvwatch-collector collector";
    static final String AGENT_CERTIFICATE = "hvwatch-collector certs issue-agent --dir /etc/hvwatch/tls "
            + "--file-name agent --owner hvwatch-agent \"$(hostname)\"";
    static final String API_TOKEN = """
            install -m 640 -g hvwatch-collector /dev/null /etc/hvwatch/api-tokens
            printf 'soc %s\\n' "$(openssl rand -hex 32)" >> /etc/hvwatch/api-tokens
            sed -i 's/^  # tokens:/  tokens:/' /etc/hvwatch/collector.yaml
            """;
    static final String CHECK_COLLECTOR = "hvwatch-collector check-config";
    static final String START_COLLECTOR = "systemctl enable --now hvwatch-collector";
    static final String CHECK_AGENT = "hvwatch-agent check-config";
    static final String DOCTOR = "hvwatch-agent doctor";
    static final String START_AGENT = "systemctl enable --now hvwatch-agent";
    static final String GUEST_IMAGE = """
            mkdir -p /var/lib/hvwatch-try
            printf '\\372\\260\\102\\346\\200\\353\\372' > /var/lib/hvwatch-try/io-storm.img
            truncate -s 510 /var/lib/hvwatch-try/io-storm.img
            printf '\\125\\252' >> /var/lib/hvwatch-try/io-storm.img
            """;
    static final String GUEST = """
            systemd-run --unit=io-storm --collect --property=RuntimeDirectory=io-storm \\
                qemu-system-x86_64 -accel kvm -m 32 -nodefaults -display none -name guest=io-storm,debug-threads=on \\
                -drive file=/var/lib/hvwatch-try/io-storm.img,format=raw,if=ide,snapshot=on \\
                -qmp unix:/run/io-storm/qmp.sock,server=on,wait=off
            """;
    static final String METRICS = "curl -s http://127.0.0.1:9847/metrics";
    static final String TOP = "hvwatch-agent top --once";
    static final String ALERTS = "curl -s -H \"Authorization: Bearer $(awk '$1 == \"soc\" {print $2}' "
            + "/etc/hvwatch/api-tokens)\" http://127.0.0.1:9848/api/v1/alerts";
    static final String LOCAL_RULE = """
            cat > /etc/hvwatch/rules.d/local.yaml <<'EOF'
            rules:
              - id: local-port-io
                title: Port I/O above this site's limit
                description: This site allows a VM less port I/O than the default pack does.
                category: starvation
                severity: medium
                nist: [HY-SR-8]
                scope: vm
                condition: rate(hvwatch_kvm_tracepoint_events_total{tracepoint="kvm_pio"}, 10s) > 1000
                for: 5s
                message: VM {{vm}} performs more port I/O than this site allows
            EOF
            """;
    static final String RELOAD = "systemctl reload hvwatch-agent";
    /** The guide's optional drop-in for the kernel's process events (systemctl edit hvwatch-agent). */
    static final String PROCESS_EVENTS_DROP_IN = """
            [Service]
            CapabilityBoundingSet=CAP_NET_ADMIN
            AmbientCapabilities=CAP_NET_ADMIN
            RestrictAddressFamilies=AF_NETLINK
            """;
    private static final long CAP_NET_ADMIN = 1L << 12;
    static final String PURGE = "apt-get purge -y hvwatch-agent hvwatch-collector";

    @Test
    void theOperatorsPathUnderSystemd() throws Exception {
        requireHost();
        String guide = Files.readString(GUIDE);
        assertThat(guide).as("the guide's container options are the test's").contains(NSPAWN_OPTIONS);
        Steps steps = new Steps();
        Path root = steps.step("root file system (debootstrap, cached per package list)",
                () -> DebianRoot.ensure(WORK.resolve("cache")));
        Path shared = WORK.resolve("shared");
        Path later = WORK.resolve("later");
        steps.step("the packages, and a later version of each for the upgrade", () -> {
            recreate(shared);
            recreate(later);
            for (String name : Packages.NAMES) {
                Files.copy(Packages.deb(name), shared.resolve(Packages.deb(name).getFileName()));
                Packages.withHigherVersion(Packages.deb(name), later);
            }
        });
        try (SystemdContainer container = steps.step("boot the container (systemd-nspawn --boot)",
                () -> SystemdContainer.boot(root, shared, WORK.resolve("run")))) {
            Walk walk = new Walk(guide, container);
            steps.step("install both packages with apt-get", walk::install);
            steps.step("certificates, API token, check-config, enable --now", walk::configureAndStart);
            steps.step("a QEMU/KVM guest storming port I/O; every source up", walk::guest);
            steps.step("the port I/O alert, journaled, read through the API with a token", walk::alertThroughApi);
            steps.step("a new rule file and systemctl reload", walk::reload);
            steps.step("restart the collector, then the agent: nothing lost or duplicated", walk::restarts);
            steps.step("the agent's confinement; systemd-analyze security", walk::confinement);
            steps.step("the guide's drop-in for process events adds CAP_NET_ADMIN and AF_NETLINK", walk::processEvents);
            steps.step("the journal shows no library banners", walk::quietJournal);
            steps.step("upgrade to a later version", () -> walk.upgrade(shared, later));
            steps.step("purge", walk::purge);
            steps.step("power off", container::close);
        }
        System.out.println("[system test] steps:\n" + steps.summary());
    }

    /** Skipped on a developer's machine without what it needs; on CI, which must run it, a failure. */
    private static void requireHost() throws IOException, InterruptedException {
        Command.require("systemd-nspawn", true);
        Command.require("debootstrap", true);
        HostTool.requireOnCi(Files.exists(Path.of("/dev/kmsg")), "/dev/kmsg does not exist");
        // QEMU runs in the container; the host gives it /dev/kvm only.
        HostTool.requireOnCi(Files.exists(Path.of("/dev/kvm")), "/dev/kvm does not exist: the system test's guest "
                + "needs KVM");
    }

    private static void recreate(Path dir) throws IOException, InterruptedException {
        Command.ok("rm", "-rf", dir.toString());
        Files.createDirectories(dir);
    }

    /** The guide's steps in the container, and what each must have brought about. */
    private static final class Walk {
        private static final Pattern RULES = Pattern.compile("(\\d+) rules\\)");
        private static final Pattern EXPOSURE =
                Pattern.compile("Overall exposure level for (\\S+): (\\d+\\.\\d) (\\w+)");

        private final String guide;
        private final SystemdContainer container;
        private final List<String> scores = new ArrayList<>();

        Walk(String guide, SystemdContainer container) {
            this.guide = guide;
            this.container = container;
        }

        void install() throws Exception {
            String out = run(INSTALL);
            assertThat(out).contains("Setting up hvwatch-agent", "Setting up hvwatch-collector");
            for (String user : Packages.NAMES) {
                container.sh("getent passwd " + user);
                assertThat(container.exec("systemctl", "is-enabled", user).output().strip())
                        .as("a fresh install enables nothing before the certificates exist").isEqualTo("disabled");
            }
        }

        void configureAndStart() throws Exception {
            run(CA);
            assertThat(run(COLLECTOR_CERTIFICATE)).contains("owned by hvwatch-collector");
            assertThat(run(AGENT_CERTIFICATE)).contains("/etc/hvwatch/tls/agent-key.pem, owned by hvwatch-agent");
            assertThat(container.sh("stat -c '%U %a' /etc/hvwatch/tls/agent-key.pem "
                    + "/etc/hvwatch/tls/collector-key.pem"))
                    .isEqualTo("hvwatch-agent 600\nhvwatch-collector 600\n");
            run(API_TOKEN);
            assertThat(run(CHECK_COLLECTOR)).startsWith("/etc/hvwatch/collector.yaml: OK").hasLineCount(1);
            run(START_COLLECTOR);
            assertThat(run(CHECK_AGENT)).startsWith("/etc/hvwatch/agent.yaml: OK (host " + AGENT_IDENTITY + ",")
                    .hasLineCount(1);
            run(DOCTOR);
            run(START_AGENT);
            for (String unit : Packages.NAMES) {
                assertThat(container.sh("systemctl is-active " + unit).strip()).isEqualTo("active");
            }
        }

        void guest() throws Exception {
            run(GUEST_IMAGE);
            assertThat(Base64.getDecoder().decode(container.sh("base64 -w0 /var/lib/hvwatch-try/io-storm.img")
                    .strip())).as("the guide's boot sector is the test kit's port I/O storm")
                    .isEqualTo(GuestProgram.IO_STORM.diskImage());
            run(GUEST);
            Map<String, Double> up = Awaitility.await("every source of the agent up").atMost(ALERT_DEADLINE)
                    .pollInterval(POLL).ignoreExceptions().until(() -> series(metrics(), "hvwatch_source_up"),
                            s -> s.keySet().containsAll(List.of("kmsg", "tracepoint", "perf", "qmp", "schedstat",
                                    "discovery")) && s.values().stream().allMatch(v -> v == 1.0));
            System.out.println("[system test] hvwatch_source_up: " + up);
            run(TOP);
        }

        void alertThroughApi() throws Exception {
            JsonNode alert = awaitAlert("vm-port-io-storm", "firing", 1);
            assertThat(alert.get("agent").asText()).isEqualTo(AGENT_IDENTITY);
            assertThat(alert.at("/vm/name").asText()).isEqualTo("io-storm");
            Command refused = container.exec("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                    "http://127.0.0.1:9848/api/v1/alerts");
            assertThat(refused.output()).as("no token, no alerts").isEqualTo("401");
        }

        void reload() throws Exception {
            int before = rulesInForce(run(CHECK_AGENT));
            String pid = mainPid("hvwatch-agent");
            run(LOCAL_RULE);
            int after = rulesInForce(run(CHECK_AGENT));
            assertThat(after).isEqualTo(before + 1);
            run(RELOAD);
            Awaitility.await("the agent's reload on SIGHUP").atMost(Duration.ofSeconds(30)).pollInterval(POLL)
                    .until(() -> journal("hvwatch-agent")
                            .contains("rules reloaded (SIGHUP): " + after + " rules in force"));
            assertThat(mainPid("hvwatch-agent")).as("a reload, not a restart").isEqualTo(pid);
            awaitAlert("local-port-io", "firing", 1);
        }

        void restarts() throws Exception {
            int journaled = alerts().size();
            container.sh("systemctl restart hvwatch-collector");
            // New alerts while the collector restarts: the guest stops (alerts resolve) and starts again.
            container.sh("systemctl stop io-storm");
            run(GUEST);
            awaitDelivered(journaled);
            journaled = alerts().size();
            container.sh("systemctl restart hvwatch-agent");
            awaitDelivered(journaled);
            awaitAlert("vm-port-io-storm", "firing", 2);
            nothingLostOrDuplicated();
        }

        void confinement() throws Exception {
            long agent = container.hostPid(Long.parseLong(mainPid("hvwatch-agent")));
            Map<String, String> status = status(agent);
            for (String set : List.of("CapEff", "CapPrm", "CapAmb", "CapBnd")) {
                assertThat(Long.parseLong(status.get(set), 16)).as("%s of the agent", set)
                        .isEqualTo(AGENT_CAPABILITIES);
            }
            long collector = container.hostPid(Long.parseLong(mainPid("hvwatch-collector")));
            assertThat(Long.parseLong(status(collector).get("CapEff"), 16)).as("the collector's capabilities").isZero();

            String uid = container.sh("id -u hvwatch-agent").strip();
            String gid = container.sh("id -g hvwatch-agent").strip();
            assertThat(status.get("Uid")).startsWith(uid + "\t");
            // Writing as the agent: its user and capabilities (CAP_DAC_OVERRIDE passes any file's permissions) in
            // its unit's mount namespace, where only the state directory is writable.
            Map<String, String> tried = new HashMap<>();
            for (String file : List.of("/etc/hvwatch/x", "/usr/x", "/var/lib/hvwatch/collector/x", "/var/log/x",
                    "/var/cache/x", "/run/x", "/run/systemd/x", "/dev/x", "/dev/shm/x", "/root/x", "/home/x",
                    "/var/lib/hvwatch/agent/x")) {
                Command write = Command.run("nsenter", "--target=" + agent, "--all", "setpriv", "--reuid=" + uid,
                        "--regid=" + gid, "--clear-groups", "--inh-caps=-all," + AGENT_CAPABILITY_NAMES,
                        "--ambient-caps=-all," + AGENT_CAPABILITY_NAMES, "sh", "-c", "echo x > " + file);
                tried.put(file, write.exitCode() == 0 ? "written" : write.output().strip());
            }
            System.out.println("[system test] writing as the agent: " + tried);
            tried.forEach((file, result) -> {
                if (file.startsWith("/var/lib/hvwatch/agent/")) {
                    assertThat(result).as(file).isEqualTo("written");
                } else {
                    assertThat(result).as(file).containsAnyOf("Read-only file system", "Permission denied");
                }
            });
            container.sh("rm /var/lib/hvwatch/agent/x");

            for (String unit : Packages.NAMES) {
                Matcher m = EXPOSURE.matcher(container.sh("systemd-analyze security --no-pager " + unit + ".service"));
                assertThat(m.find()).isTrue();
                scores.add(m.group(1) + " " + m.group(2) + " " + m.group(3));
                assertThat(OK_OR_BETTER).contains(m.group(3));
            }
            System.out.println("[system test] systemd-analyze security (running units): " + scores);
        }

        /**
         * The packaged unit denies the agent netlink sockets; the guide's drop-in, merged with the unit, grants
         * them and CAP_NET_ADMIN and nothing else. In the container's namespaces the kernel still sends no process
         * events (its connector lives in the host's network namespace, and answers only the host's pid namespace),
         * which the agent then says instead.
         */
        void processEvents() throws Exception {
            assertThat(guide).as("docs/operator-guide.md gives the drop-in the test uses")
                    .contains(PROCESS_EVENTS_DROP_IN.strip());
            assertThat(lastDiscoveryLine()).contains("lists /proc every round", "Address family not supported");
            long started = discoveryLines().count();
            String dropIn = "/etc/systemd/system/hvwatch-agent.service.d";
            container.sh("mkdir -p " + dropIn + " && cat > " + dropIn + "/process-events.conf <<'EOF'\n"
                    + PROCESS_EVENTS_DROP_IN + "EOF\nsystemctl daemon-reload && systemctl restart hvwatch-agent");
            Map<String, String> status = status(container.hostPid(Long.parseLong(mainPid("hvwatch-agent"))));
            for (String set : List.of("CapEff", "CapPrm", "CapAmb", "CapBnd")) {
                assertThat(Long.parseLong(status.get(set), 16)).as("%s of the agent with the drop-in", set)
                        .isEqualTo(AGENT_CAPABILITIES | CAP_NET_ADMIN);
            }
            Awaitility.await("the restarted agent's discovery line").atMost(Duration.ofSeconds(60)).pollInterval(POLL)
                    .until(() -> discoveryLines().count() > started);
            System.out.println("[system test] with the drop-in: " + lastDiscoveryLine());
            assertThat(lastDiscoveryLine()).contains("lists /proc every round", "the host's own");
            container.sh("rm -r " + dropIn + " && systemctl daemon-reload && systemctl restart hvwatch-agent");
        }

        private String lastDiscoveryLine() throws Exception {
            return discoveryLines().reduce((a, b) -> b).orElse("");
        }

        private Stream<String> discoveryLines() throws Exception {
            return journal("hvwatch-agent").lines().filter(l -> l.contains("VM discovery"));
        }

        void quietJournal() throws Exception {
            String journal = container.sh("journalctl --no-pager -o cat -u hvwatch-agent -u hvwatch-collector");
            assertThat(journal).doesNotContain("Leave your e-mail", "to grow file");
            assertThat(journal.lines().filter(l -> l.contains("] INFO ") && !l.contains("] INFO dev.hvwatch.")))
                    .as("information from libraries").isEmpty();
            System.out.println("[system test] the services' journal, first lines:\n"
                    + journal.lines().limit(30).map(l -> "    " + l).reduce("", (a, b) -> a + b + "\n"));
        }

        void upgrade(Path shared, Path later) throws Exception {
            String kept = "sha256sum /etc/hvwatch/agent.yaml /etc/hvwatch/collector.yaml /etc/hvwatch/api-tokens "
                    + "/etc/hvwatch/rules.d/local.yaml /etc/hvwatch/tls/*.pem; "
                    + "stat -c '%U %a %n' /etc/hvwatch/tls/*-key.pem";
            String before = container.sh(kept);
            int journaled = alerts().size();
            Map<String, String> pids = Map.of("hvwatch-agent", mainPid("hvwatch-agent"), "hvwatch-collector",
                    mainPid("hvwatch-collector"));
            // The same command in the same directory, which now holds the later packages.
            try (Stream<Path> older = Files.list(shared)) {
                for (Path deb : older.toList()) {
                    Files.delete(deb);
                }
            }
            try (Stream<Path> newer = Files.list(later)) {
                for (Path deb : newer.toList()) {
                    Files.move(deb, shared.resolve(deb.getFileName()));
                }
            }
            assertThat(run(INSTALL)).contains("Unpacking hvwatch-agent (", "+upgrade) over (");
            assertThat(container.sh("dpkg-query -W -f='${Version}' hvwatch-agent")).endsWith("+upgrade");
            assertThat(container.sh(kept)).as("configuration, rules, certificates and keys").isEqualTo(before);
            for (Map.Entry<String, String> unit : pids.entrySet()) {
                Awaitility.await(unit.getKey() + " restarted").atMost(Duration.ofSeconds(30)).pollInterval(POLL)
                        .until(() -> !mainPid(unit.getKey()).equals(unit.getValue())
                                && container.exec("systemctl", "is-active", unit.getKey()).output().strip()
                                .equals("active"));
            }
            // The journal kept its alerts, and the spool its numbering: the restarted agent's alerts follow on.
            awaitDelivered(journaled);
            nothingLostOrDuplicated();
        }

        void purge() throws Exception {
            run(PURGE);
            container.sh("test ! -e /var/lib/hvwatch");
            for (String name : Packages.NAMES) {
                assertThat(container.exec("getent", "passwd", name).exitCode()).as("user %s", name).isNotZero();
                assertThat(container.exec("getent", "group", name).exitCode()).as("group %s", name).isNotZero();
                assertThat(container.sh("systemctl show -p LoadState --value " + name).strip()).isEqualTo("not-found");
                container.sh("test ! -e /lib/systemd/system/" + name + ".service");
            }
            assertThat(container.sh("ls /etc/systemd/system/multi-user.target.wants/")).doesNotContain("hvwatch");
            assertThat(container.exec("pgrep", "java").exitCode()).as("no hvwatch process left").isNotZero();
            assertThat(container.sh("stat -c '%U' /etc/hvwatch/tls/agent-key.pem").strip())
                    .as("the operator's files stay, given to root").isEqualTo("root");
        }

        /**
         * Seq numbers of this agent in the collector's journal: 1 to N, each once, one per alert the agent logged.
         * Awaited: a freshly started agent goes on raising alerts (posture, lifecycle) for some seconds, so one may be
         * logged but still on its way when the two are first compared.
         */
        private void nothingLostOrDuplicated() {
            long[] count = new long[1];
            Awaitility.await("every alert the agent logged, in the collector's journal once").atMost(
                    Duration.ofSeconds(30)).pollInterval(POLL).untilAsserted(() -> {
                List<Long> seqs = alerts().stream().filter(a -> a.get("agent").asText().equals(AGENT_IDENTITY))
                        .map(a -> a.get("seq").asLong()).sorted().toList();
                List<Long> expected = new ArrayList<>();
                for (long s = 1; s <= seqs.size(); s++) {
                    expected.add(s);
                }
                assertThat(seqs).as("seqs in the collector's journal").isEqualTo(expected);
                long raised = journal("hvwatch-agent").lines()
                        .filter(l -> l.contains("dev.hvwatch.agent.Agent - alert ")).count();
                assertThat((long) seqs.size()).as("alerts journaled by the collector, against those the agent raised")
                        .isEqualTo(raised);
                count[0] = raised;
            });
            System.out.println("[system test] seqs 1.." + count[0] + " each once, as many as the agent raised");
        }

        /** More alerts than {@code journaled} reach the collector, and the agent has none left to send. */
        private void awaitDelivered(int journaled) {
            // Either side may be starting: a refused connection is a poll that failed, not the test.
            Awaitility.await("new alerts delivered").atMost(ALERT_DEADLINE).pollInterval(POLL).ignoreExceptions()
                    .until(() -> alerts().size() > journaled
                            && series(metrics(), "hvwatch_spool_pending_alerts").get("") == 0.0);
        }

        private JsonNode awaitAlert(String rule, String state, int count) {
            List<JsonNode> found = Awaitility.await(count + " alerts " + rule + " " + state).atMost(ALERT_DEADLINE)
                    .pollInterval(POLL).ignoreExceptions()
                    .until(() -> alerts().stream().filter(a -> a.get("rule").asText().equals(rule)
                            && a.get("state").asText().equals(state)).toList(), l -> l.size() >= count);
            System.out.println("[system test] journaled: " + found.get(count - 1));
            return found.get(count - 1);
        }

        /** Every alert in the collector's journal, page by page through the API. */
        private List<JsonNode> alerts() throws Exception {
            List<JsonNode> all = new ArrayList<>();
            String cursor = null;
            do {
                String query = "'?limit=1000" + (cursor == null ? "" : "&cursor="
                        + URLEncoder.encode(cursor, StandardCharsets.UTF_8)) + "'";
                JsonNode page = JSON.readTree(quietly(ALERTS, query));
                page.get("alerts").forEach(all::add);
                cursor = page.get("more").asBoolean() ? page.get("next").asText() : null;
            } while (cursor != null);
            return all;
        }

        private Map<String, Double> metrics() throws Exception {
            Map<String, Double> values = new HashMap<>();
            for (String line : quietly(METRICS, "").lines().toList()) {
                int space = line.lastIndexOf(' ');
                if (!line.startsWith("#") && space > 0) {
                    // Prometheus writes infinities as +Inf and -Inf, which Java reads as Infinity.
                    values.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)
                            .replace("Inf", "Infinity")));
                }
            }
            return values;
        }

        /** A metric's values by its first label's value ("" when it has none). */
        private static Map<String, Double> series(Map<String, Double> metrics, String name) {
            Map<String, Double> out = new HashMap<>();
            metrics.forEach((key, value) -> {
                if (key.equals(name)) {
                    out.put("", value);
                } else if (key.startsWith(name + "{")) {
                    out.put(key.substring(key.indexOf('"') + 1, key.indexOf('"', key.indexOf('"') + 1)), value);
                }
            });
            return out;
        }

        private String journal(String unit) throws Exception {
            return container.sh("journalctl --no-pager -o cat -u " + unit);
        }

        private String mainPid(String unit) throws Exception {
            return container.sh("systemctl show -p MainPID --value " + unit).strip();
        }

        private static int rulesInForce(String checkConfig) {
            Matcher m = RULES.matcher(checkConfig);
            assertThat(m.find()).as(checkConfig).isTrue();
            return Integer.parseInt(m.group(1));
        }

        private static Map<String, String> status(long pid) throws IOException {
            Map<String, String> fields = new HashMap<>();
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                int colon = line.indexOf(':');
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
            return fields;
        }

        /** One of the guide's commands, found in the guide word for word, then run in the container. */
        private String run(String command) throws Exception {
            assertThat(guide).as("docs/operator-guide.md gives the command the test runs").contains(command.strip());
            System.out.println("[system test] $ " + command.strip().replace("\n", "\n[system test] $ "));
            String out = container.sh("set -e\n" + command);
            out.lines().limit(25).forEach(l -> System.out.println("    " + l));
            return out;
        }

        private String quietly(String command, String arguments) throws Exception {
            assertThat(guide).contains(command);
            return container.sh(command + arguments);
        }
    }
}
