package dev.hvwatch.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The Prometheus rules pass promtool's checks and their unit tests (known answers for every recording rule kind). */
class RulesTest {
    static final Path RULES = Path.of("src/main/prometheus/hvwatch-rules.yml");

    @Test
    void promtoolChecksTheRules() throws Exception {
        Promtool.Result r = Promtool.run(Path.of("."), new byte[0], "check", "rules", RULES.toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS: 24 rules found");
    }

    @Test
    void promtoolRunsTheRulesUnitTests() throws Exception {
        Promtool.Result r = Promtool.run(Path.of("src/test/prometheus"), new byte[0], "test", "rules",
                "hvwatch-rules.test.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }
}
