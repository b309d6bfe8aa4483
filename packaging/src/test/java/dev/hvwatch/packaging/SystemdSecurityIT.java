package dev.hvwatch.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * systemd's own judgement of how exposed each service is, read from the unit files alone (--offline=true needs
 * no running systemd). Scores run from 0 (most confined) to 10; systemd names them PERFECT, SAFE, OK, MEDIUM,
 * EXPOSED, UNSAFE. The figures are recorded in docs/operator-guide.md ("Hardening").
 */
class SystemdSecurityIT {
    private static final Pattern OVERALL = Pattern.compile("Overall exposure level for (\\S+): (\\d+\\.\\d) (\\w+)");
    private static final List<String> OK_OR_BETTER = List.of("PERFECT", "SAFE", "OK");

    @Test
    void theCollectorIsAtLeastOk() throws Exception {
        assertThat(OK_OR_BETTER).contains(exposure("hvwatch-collector"));
    }

    @Test
    void theAgentWithItsFiveCapabilitiesIsAtLeastOk() throws Exception {
        assertThat(OK_OR_BETTER).contains(exposure("hvwatch-agent"));
    }

    private static String exposure(String name) throws Exception {
        Command.require("systemd-analyze", false);
        Command analysis = Command.run("systemd-analyze", "security", "--offline=true", "--no-pager",
                Packages.unit(name).toString());
        Matcher overall = OVERALL.matcher(analysis.output());
        assertThat(overall.find()).as(analysis.output()).isTrue();
        System.out.println("systemd-analyze security --offline=true " + name + ".service: " + overall.group(2) + " "
                + overall.group(3));
        return overall.group(3);
    }
}
