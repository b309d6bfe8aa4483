package dev.hvwatch.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.alert.AlertFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What the built packages hold, as dpkg-deb, rpm and lintian read them. */
class PackageContentsIT {

    @Test
    void eachDebHoldsItsProgramEveryLibraryItsJarNamesItsLauncherConfigurationAndUnit() throws Exception {
        Command.require("dpkg-deb", false);
        for (String name : Packages.NAMES) {
            String part = name.substring("hvwatch-".length());
            List<String> files = debFiles(name);
            assertThat(files).contains("/usr/bin/" + name, "/usr/share/hvwatch/" + part + "/" + name + ".jar",
                    "/etc/hvwatch/" + part + ".yaml", "/lib/systemd/system/" + name + ".service",
                    "/usr/share/doc/" + name + "/copyright", "/usr/share/doc/" + name + "/changelog.gz",
                    "/usr/share/lintian/overrides/" + name);
            for (String library : classPath(name)) {
                assertThat(files).contains("/usr/share/hvwatch/" + part + "/" + library);
            }
            assertThat(Command.ok("dpkg-deb", "--info", Packages.deb(name).toString(), "conffiles").strip())
                    .isEqualTo("/etc/hvwatch/" + part + ".yaml");
            assertThat(Command.ok("dpkg-deb", "--field", Packages.deb(name).toString(), "Depends"))
                    .contains("default-jre-headless (>= 2:1.17) | java17-runtime-headless", "adduser");
        }
    }

    @Test
    void theCollectorShipsWhateverTheDashboardsModuleHas() throws Exception {
        Command.require("dpkg-deb", false);
        List<String> files = debFiles("hvwatch-collector");
        assertThat(files).contains("/usr/share/hvwatch/dashboards/README");
        Path dashboards = Path.of("../dashboards/src/main");
        if (Files.isDirectory(dashboards)) {
            try (Stream<Path> all = Files.walk(dashboards)) {
                all.filter(Files::isRegularFile).forEach(f -> assertThat(files)
                        .contains("/usr/share/hvwatch/dashboards/" + dashboards.relativize(f)));
            }
        }
    }

    @Test
    void theAgentsDebAndRpmHoldEveryRunbookWhereItsAlertsLinkThem() throws Exception {
        Command.require("dpkg-deb", false);
        Command.require("rpm", false);
        List<String> runbooks;
        try (Stream<Path> all = Files.list(Path.of("../docs/runbooks"))) {
            runbooks = all.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".md")).toList();
        }
        String installed = AlertFactory.DEFAULT_RUNBOOKS.substring("file://".length());
        assertThat(runbooks).contains("README.md", "vcpu-starvation.md", "agent-spool-overflow.md");
        List<String> deb = debFiles("hvwatch-agent");
        List<String> rpm = Command.ok("rpm", "-qlp", Packages.rpm("hvwatch-agent").toString()).lines().toList();
        for (String runbook : runbooks) {
            assertThat(deb).contains(installed + runbook);
            assertThat(rpm).contains(installed + runbook);
        }
    }

    @Test
    void eachRpmListsTheSameProgramLauncherConfigurationAndUnit() throws Exception {
        Command.require("rpm", false);
        for (String name : Packages.NAMES) {
            String part = name.substring("hvwatch-".length());
            String rpm = Packages.rpm(name).toString();
            String listing = Command.ok("rpm", "-qlp", rpm);
            System.out.println("rpm -qlp " + Packages.rpm(name).getFileName() + " (libraries left out):\n"
                    + listing.lines().filter(l -> !l.matches(".*/lib/[^/]+\\.jar")).reduce("", (a, b) -> a + b + "\n"));
            List<String> files = listing.lines().toList();
            assertThat(files).contains("/usr/bin/" + name, "/usr/share/hvwatch/" + part + "/" + name + ".jar",
                    "/etc/hvwatch/" + part + ".yaml", "/usr/lib/systemd/system/" + name + ".service");
            for (String library : classPath(name)) {
                assertThat(files).contains("/usr/share/hvwatch/" + part + "/" + library);
            }
            assertThat(Command.ok("rpm", "-qp", "--configfiles", rpm).strip()).isEqualTo("/etc/hvwatch/" + part + ".yaml");
            assertThat(Command.ok("rpm", "-qp", "--requires", rpm)).contains("java-headless >= 1:17");
        }
    }

    @Test
    void lintianFindsNoErrorAndNoWarningThatIsNotOverriddenWithAReason() throws Exception {
        Command.require("lintian", false);
        Command lintian = Command.run("lintian", "--show-overrides", Packages.deb("hvwatch-agent").toString(),
                Packages.deb("hvwatch-collector").toString());
        System.out.println("lintian --show-overrides:\n" + lintian.output());
        assertThat(lintian.exitCode()).as(lintian.output()).isZero();
        assertThat(lintian.output().lines()).noneMatch(l -> l.startsWith("E: ") || l.startsWith("W: "));
    }

    private static List<String> debFiles(String name) throws Exception {
        return Command.ok("dpkg-deb", "--contents", Packages.deb(name).toString()).lines()
                .map(l -> l.substring(l.indexOf("./") + 1))
                .filter(path -> !path.endsWith("/"))
                .toList();
    }

    /** The libraries the program's jar names in its manifest, which the launcher's `java -jar` loads. */
    private static List<String> classPath(String name) throws Exception {
        Path jar = Path.of("../" + name.substring("hvwatch-".length()) + "/target/" + name + ".jar");
        try (JarFile file = new JarFile(jar.toFile())) {
            return Arrays.asList(file.getManifest().getMainAttributes().getValue("Class-Path").split(" "));
        }
    }
}
