package dev.hvwatch.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The .rpm packages as far as this Debian host can take them: what {@code rpm -i --test} would do on an empty RPM
 * database, and the shell syntax of the scriptlets rpm runs around an install, upgrade or erase. What cannot run
 * here: the scriptlets themselves on an RPM distribution under its systemd (packaging/README.md, "What the tests
 * check"); the .deb packages' maintainer scripts run for real in DebInstallIT and OperatorPathSystemIT.
 */
class RpmInstallIT {
    private static final Pattern MISSING = Pattern.compile("(?m)^\\s+(.+) is needed by ");
    private static final Pattern SCRIPTLET = Pattern.compile("(?m)^(\\w+) scriptlet \\(using (\\S+)\\):$");

    @TempDir
    Path dir;

    @Test
    void rpmWouldInstallEachPackageAndAsksForNothingButItsDeclaredDependencies() throws Exception {
        Command.require("rpm", false);
        for (String name : Packages.NAMES) {
            Path database = Files.createDirectories(dir.resolve(name));
            Command.ok("rpmdb", "--initdb", "--dbpath", database.toString());
            String rpm = Packages.rpm(name).toString();

            Command test = Command.run("rpm", "-i", "--test", "--dbpath", database.toString(), rpm);

            assertThat(test.exitCode()).as(test.output()).isNotZero();
            assertThat(MISSING.matcher(test.output()).results().map(m -> m.group(1)))
                    .as("an empty database lacks exactly the declared dependencies (and the scriptlets' shell)")
                    .containsExactlyInAnyOrder("/bin/sh", "java-headless >= 1:17", "shadow-utils");
            Command.ok("rpm", "-i", "--test", "--nodeps", "--dbpath", database.toString(), rpm);
        }
    }

    @Test
    void theScriptletsAreShellThatParses() throws Exception {
        Command.require("rpm", false);
        for (String name : Packages.NAMES) {
            Map<String, String> scriptlets = scriptlets(Command.ok("rpm", "-qp", "--scripts",
                    Packages.rpm(name).toString()));
            assertThat(scriptlets).containsOnlyKeys("preinstall", "postinstall", "preuninstall", "postuninstall");
            assertThat(scriptlets.get("preinstall")).contains("useradd -r -g " + name);
            for (Map.Entry<String, String> scriptlet : scriptlets.entrySet()) {
                assertThat(scriptlet.getValue()).as("%s %s: macros expanded", name, scriptlet.getKey())
                        .doesNotContain("%{");
                Path file = Files.writeString(dir.resolve(name + "-" + scriptlet.getKey() + ".sh"),
                        scriptlet.getValue());
                // dash is Debian's /bin/sh, bash that of RPM distributions.
                for (String shell : List.of("dash", "bash")) {
                    Command parsed = Command.run(shell, "-n", file.toString());
                    assertThat(parsed.exitCode()).as("%s -n %s %s: %s", shell, name, scriptlet.getKey(),
                            parsed.output()).isZero();
                }
            }
        }
    }

    /** The scriptlets {@code rpm -qp --scripts} prints, by name; each one is run by /bin/sh. */
    private static Map<String, String> scriptlets(String listing) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = SCRIPTLET.matcher(listing);
        List<MatchResult> heads = m.results().toList();
        for (int i = 0; i < heads.size(); i++) {
            assertThat(heads.get(i).group(2)).isEqualTo("/bin/sh");
            int end = i + 1 < heads.size() ? heads.get(i + 1).start() : listing.length();
            out.put(heads.get(i).group(1), listing.substring(heads.get(i).end(), end));
        }
        return out;
    }
}
