package dev.hvwatch.agent.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertFactoryTest {
    private static final AlertFactory.Draft FINDING = new AlertFactory.Draft("posture-ksm", "KSM merges pages",
            Severity.LOW, Category.POSTURE, AlertState.FIRING, null, null, null, List.of("HY-SR-1"), Map.of(), "m");

    @Test
    void everyAlertLinksItsRulesRunbookUnderTheConfiguredBase() {
        AlertFactory wiki = new AlertFactory("hv-1", "https://wiki.example.net/hvwatch/runbooks/");

        String json = AlertJson.toLine(wiki.create(FINDING, 0));

        assertThat(json).endsWith(",\"runbook_url\":\"https://wiki.example.net/hvwatch/runbooks/posture-ksm.md\"}");
        assertThat(new AlertFactory("hv-1").create(FINDING, 0).runbookUrl())
                .isEqualTo("file:///usr/share/doc/hvwatch-agent/runbooks/posture-ksm.md");
    }

    @Test
    void aBaseThatWouldNotNameAFileInItIsRefusedWithTheKey() {
        assertThatThrownBy(() -> new AlertFactory("hv-1", "https://wiki.example.net/runbooks"))
                .hasMessage("runbooks must be an absolute URL ending in '/' (e.g. "
                        + "file:///usr/share/doc/hvwatch-agent/runbooks/), got 'https://wiki.example.net/runbooks'");
        assertThatThrownBy(() -> AlertFactory.runbookBase("rules.runbooks", "docs/runbooks/"))
                .hasMessageStartingWith("rules.runbooks must be an absolute URL ending in '/'");
        assertThatThrownBy(() -> AlertFactory.runbookBase("rules.runbooks", "https://wiki example/"))
                .hasMessageStartingWith("rules.runbooks is not a URL: Illegal character in authority");
    }
}
