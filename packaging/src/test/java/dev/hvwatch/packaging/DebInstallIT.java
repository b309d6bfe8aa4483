package dev.hvwatch.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's life cycle on this machine, with dpkg and the packages' own maintainer scripts (no systemd runs
 * here, as in a container: deb-systemd-helper and systemctl enable work on files, deb-systemd-invoke does nothing):
 * install, the installed commands, an upgrade that keeps the configuration, the state and the operator's enabling,
 * removal, and a purge that leaves nothing that was not there before, users included. OperatorPathSystemIT walks
 * the same path under a running systemd.
 */
class DebInstallIT {
    private static final String AGENT = "/usr/bin/hvwatch-agent";
    private static final String COLLECTOR = "/usr/bin/hvwatch-collector";
    /** Where anything of hvwatch could be left on the system after a purge. */
    private static final List<String> SEARCHED = List.of("/etc", "/usr", "/var", "/lib", "/opt", "/run");

    @TempDir
    Path dir;

    @Test
    void installRunUpgradeRemoveAndPurge() throws Exception {
        Command.require("dpkg", true);
        dpkg("--purge", "hvwatch-agent", "hvwatch-collector");
        Set<String> before = leftovers();

        String installed = dpkg("-i", Packages.deb("hvwatch-agent").toString(),
                Packages.deb("hvwatch-collector").toString());
        assertThat(installed).contains("hvwatch-agent: configure /etc/hvwatch/agent.yaml")
                .as("a fresh install enables nothing before the certificates exist").doesNotContain("Created symlink");
        assertThat(Path.of("/etc/systemd/system/multi-user.target.wants/hvwatch-agent.service")).doesNotExist();
        for (String user : Packages.NAMES) {
            assertThat(Command.ok("getent", "passwd", user)).contains(":/nonexistent:");
        }
        for (String name : Packages.NAMES) {
            Command verify = Command.run("systemd-analyze", "verify", "/lib/systemd/system/" + name + ".service");
            assertThat(verify.exitCode()).as(verify.output()).isZero();
        }

        installedCommandsWork();
        upgradeKeepsConfigurationAndState();

        dpkg("-r", "hvwatch-agent", "hvwatch-collector");
        assertThat(Path.of(AGENT)).doesNotExist();
        assertThat(Path.of("/etc/hvwatch/agent.yaml")).as("removal keeps the configuration").exists();
        assertThat(Path.of("/var/lib/hvwatch/agent/spool/kept")).as("removal keeps the state").exists();

        dpkg("--purge", "hvwatch-agent", "hvwatch-collector");
        assertThat(Command.run("dpkg-query", "-W", "hvwatch-agent").exitCode()).isNotZero();
        for (String user : Packages.NAMES) {
            assertThat(Command.run("getent", "passwd", user).exitCode()).as("purge removes the user %s", user)
                    .isNotZero();
            assertThat(Command.run("getent", "group", user).exitCode()).as("and its group").isNotZero();
        }
        assertThat(leftovers()).as("left after purge, besides what was there before").isEqualTo(before);
    }

    private void installedCommandsWork() throws Exception {
        assertThat(Command.ok(AGENT, "check-config")).startsWith("/etc/hvwatch/agent.yaml: OK");
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "sampling:\n  intervall: 1s\n");
        Command badConfig = Command.run(AGENT, "check-config", "-c", bad.toString());
        assertThat(badConfig.exitCode()).isEqualTo(2);
        assertThat(badConfig.output()).contains(bad + " line 2", "intervall");

        Command doctor = Command.run(AGENT, "doctor");
        System.out.println("hvwatch-agent doctor, installed, before certificates:\n" + doctor.output());
        assertThat(doctor.exitCode()).as("without certificates the agent cannot ship alerts").isEqualTo(1);
        assertThat(doctor.output()).contains("kvm:", "proc:", "kmsg:", "tracepoints:")
                .contains("[FAIL] collector: cannot read /etc/hvwatch/tls/agent.pem");

        Command top = Command.run(AGENT, "top", "--once", "--url", "http://127.0.0.1:1/metrics");
        assertThat(top.exitCode()).isEqualTo(1);
        assertThat(top.output()).contains("nothing answers at http://127.0.0.1:1/metrics");

        Command collector = Command.run(COLLECTOR, "check-config");
        assertThat(collector.exitCode()).isEqualTo(2);
        assertThat(collector.output()).contains("/etc/hvwatch/collector.yaml: tls.cert: /etc/hvwatch/tls/"
                + "collector.pem does not exist");

        Path tls = dir.resolve("tls");
        Command.ok(COLLECTOR, "certs", "ca", "--dir", tls.toString());
        Command.ok(COLLECTOR, "certs", "issue-collector", "--dir", tls.toString(), "collector");
        Path config = Files.writeString(dir.resolve("collector.yaml"), "tls:\n  cert: tls/collector.pem\n"
                + "  key: tls/collector-key.pem\n  ca: tls/ca.pem\njournal:\n  dir: journal\n");
        assertThat(Command.ok(COLLECTOR, "check-config", "-c", config.toString())).contains(config + ": OK");
    }

    /**
     * A later version over this one: the operator's edit of a configuration file and the state (spool, journal)
     * stay. The later version is this package with a higher version number, as a release would be.
     */
    private void upgradeKeepsConfigurationAndState() throws Exception {
        Path agentConfig = Path.of("/etc/hvwatch/agent.yaml");
        String edited = Files.readString(agentConfig) + "# the operator's own line\n";
        Files.writeString(agentConfig, edited);
        for (String state : List.of("/var/lib/hvwatch/agent/spool/kept", "/var/lib/hvwatch/collector/journal/kept")) {
            Files.createDirectories(Path.of(state).getParent());
            Files.writeString(Path.of(state), "state\n");
        }
        Path enabled = Path.of("/etc/systemd/system/multi-user.target.wants/hvwatch-agent.service");
        Command.ok("systemctl", "enable", "hvwatch-agent.service");
        assertThat(enabled).exists();
        List<String> later = new ArrayList<>();
        for (String name : Packages.NAMES) {
            later.add(Packages.withHigherVersion(Packages.deb(name), dir).toString());
        }
        List<String> upgrade = new ArrayList<>(List.of("-i"));
        upgrade.addAll(later);
        dpkg(upgrade.toArray(String[]::new));
        assertThat(Command.ok("dpkg-query", "-W", "-f=${Version}", "hvwatch-agent")).endsWith("+upgrade");
        assertThat(Files.readString(agentConfig)).isEqualTo(edited);
        assertThat(enabled).as("the operator's systemctl enable survives the upgrade").exists();
        assertThat(Path.of("/var/lib/hvwatch/agent/spool/kept")).exists();
        assertThat(Path.of("/var/lib/hvwatch/collector/journal/kept")).exists();
        assertThat(Command.ok(AGENT, "check-config")).startsWith("/etc/hvwatch/agent.yaml: OK");
    }

    /** dpkg, waiting for its lock while another dpkg or apt-get works (developers share the machine's dpkg). */
    private static String dpkg(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("dpkg"));
        argv.addAll(List.of(args));
        for (int attempt = 0; ; attempt++) {
            Command c = Command.run(Map.of("DEBIAN_FRONTEND", "noninteractive"), argv.toArray(String[]::new));
            if (c.exitCode() == 0 || (args[0].equals("--purge") && !c.output().contains("lock"))) {
                return c.output();
            }
            if (!c.output().contains("lock") || attempt == 60) {
                throw new AssertionError(String.join(" ", argv) + " exited " + c.exitCode() + ":\n" + c.output());
            }
            Thread.sleep(1000);
        }
    }

    /** Every file or directory named like hvwatch where packages put things, but this build's own tree. */
    private static Set<String> leftovers() throws IOException, InterruptedException {
        List<String> find = new ArrayList<>(List.of("find"));
        find.addAll(SEARCHED);
        find.addAll(List.of("-xdev", "-name", "*hvwatch*"));
        return Command.run(find.toArray(String[]::new)).output().lines()
                .filter(l -> !l.startsWith("find:"))
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
