package dev.hvwatch.agent.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default pack's own rule tests pass, and every rule of the pack has at least one. */
class DefaultPackTest {
    @TempDir
    Path dir;

    @Test
    void everyDefaultRuleTestPasses() throws Exception {
        Path tests = dir.resolve("default.tests.yaml");
        try (var in = getClass().getClassLoader().getResourceAsStream("rules/default.tests.yaml")) {
            Files.copy(in, tests);
        }
        List<RuleTester.Result> results = RuleTester.run(tests);
        assertThat(results).isNotEmpty();
        assertThat(results).allSatisfy(r -> assertThat(r.problems()).as(r.name()).isEmpty());
    }

    @Test
    void everyDefaultRuleIsTested() throws Exception {
        String tests = new String(getClass().getClassLoader().getResourceAsStream("rules/default.tests.yaml")
                .readAllBytes());
        Set<String> untested = RulePack.load(List.of()).specs().stream().map(RuleSpec::id)
                .filter(id -> !tests.contains("rule: " + id + ","))
                .collect(Collectors.toSet());
        assertThat(untested).isEmpty();
    }
}
