package dev.hvwatch.agent.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.protocol.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every kind of mistake in a rule file is refused with the file, the line and the reason. */
class RulePackTest {
    private static final String VALID = """
            rules:
              - id: my-rule
                title: My rule
                category: starvation
                severity: low
                scope: vcpu
                condition: wait_share > 0.5
                message: "{{vm}} waits"
            """;

    @TempDir
    Path dir;

    private static String ruleWith(String key, String value) {
        return VALID.replaceFirst("(?m)^    " + key + ": .*$", "    " + key + ": " + value);
    }

    private static ConfigException refusal(String text) {
        try {
            RulePack.fromTexts(Map.of("my.yaml", text));
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("accepted:\n" + text);
    }

    @Test
    void aValidFileCompiles() throws Exception {
        assertThat(RulePack.fromTexts(Map.of("my.yaml", VALID)).specs()).extracting(RuleSpec::id)
                .containsExactly("my-rule");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            syntax error           | condition | 'wait_share >'              | my.yaml line 7: rule my-rule: condition: expression ends too early (column 13)
            unknown function       | condition | 'rat(wait_share, 1m) > 1'   | my.yaml line 7: rule my-rule: condition: unknown function 'rat'
            unknown name           | condition | 'steal > 0.5'               | my.yaml line 7: rule my-rule: condition: unknown name 'steal' in a vcpu rule
            string as number       | condition | 'vm > 3'                    | my.yaml line 7: rule my-rule: condition: 'vm' is a string; compare it with == or !=
            window without window  | condition | 'rate(wait_share) > 1'      | my.yaml line 7: rule my-rule: condition: rate takes 2 arguments, not 1
            window not a duration  | condition | 'rate(wait_share, x) > 1'   | my.yaml line 7: rule my-rule: condition: rate needs a positive duration here, e.g. 30s or 5m (column 18)
            notice function        | condition | 'count_over(1m) > 1'        | my.yaml line 7: rule my-rule: condition: count_over counts notices; use it in a notice rule
            chained comparison     | condition | '0 < wait_share < 1'        | my.yaml line 7: rule my-rule: condition: comparisons do not chain
            bad scope              | scope     | 'cluster'                   | my.yaml line 6: rule my-rule: scope must be vcpu, vm, host, device or notice, got 'cluster'
            bad severity           | severity  | 'urgent'                    | my.yaml line 5: rules[0].severity:
            bad category           | category  | 'speed'                     | my.yaml line 4: rules[0].category:
            bad placeholder        | message   | '"{{ wait_share | pct }}"'  | my.yaml line 8: rule my-rule: message: unknown format 'pct'
            unclosed placeholder   | message   | '"{{ vm "'                  | my.yaml line 8: rule my-rule: message: '{{' without '}}'
            neighbours off vm rule | condition | 'neighbours_slowed(0.5, 5m) > 1' | my.yaml line 7: rule my-rule: condition: neighbours_slowed counts the VMs a VM slows down; use it in a vm rule
            """)
    void eachMistakeNamesItsLine(String what, String key, String value, String expected) {
        assertThat(refusal(ruleWith(key, value)).getMessage()).as(what).startsWith(expected);
    }

    @Test
    void structuralMistakes() {
        assertThat(refusal(VALID.replace("id: my-rule", "id: My Rule")).getMessage())
                .startsWith("my.yaml line 2: rule My Rule: id must be lower-case letters");
        assertThat(refusal(VALID.replace("    condition:", "    conditon:")).getMessage())
                .startsWith("my.yaml line 7: unknown key 'rules[0].conditon'");
        assertThat(refusal(VALID.replace("    condition: wait_share > 0.5\n", "")).getMessage())
                .isEqualTo("my.yaml line 2: rule my-rule: 'condition' is required");
        assertThat(refusal(VALID + VALID.replace("rules:\n", "")).getMessage())
                .startsWith("my.yaml line 9: rule my-rule: the id is used twice in this file");
        assertThat(refusal(VALID.replace("    scope: vcpu\n", "    scope: vcpu\n    inhibited_by: [nope]\n"))
                .getMessage()).startsWith("my.yaml line 7: rule my-rule: inhibited by unknown rule 'nope'");
        assertThat(refusal(VALID.replace("    severity: low\n", "    severity: low\n    nist: [HY-SR-21]\n"))
                .getMessage()).startsWith("my.yaml line 6: rule my-rule: 'HY-SR-21' is not a NIST SP 800-125A");
        assertThat(refusal(ruleWith("scope", "notice")).getMessage())
                .isEqualTo("my.yaml line 2: rule my-rule: 'match' is required");
        assertThat(refusal(VALID.replace("    scope: vcpu\n", "    scope: vcpu\n    match: iommu.fault\n"))
                .getMessage()).startsWith("my.yaml line 7: rule my-rule: match and group_by are for notice rules");
        assertThat(refusal(VALID.replace("    scope: vcpu\n", "    scope: vcpu\n    for: soon\n")).getMessage())
                .startsWith("my.yaml line 7: rules[0].for:").contains("'soon' is not a duration");
    }

    @Test
    void attributionMistakes() {
        String host = VALID.replace("scope: vcpu", "scope: host").replace("wait_share > 0.5", "1 > 0")
                .replace("\"{{vm}} waits\"", "x");
        assertThat(refusal(host.replace("    scope: host\n", "    scope: host\n    attribute_when: 1 > 0\n"))
                .getMessage()).isEqualTo("my.yaml line 7: rule my-rule: attribute_when names who took a vCPU's or a "
                + "VM's CPU; a host rule has none");
        assertThat(refusal(VALID.replace("    scope: vcpu\n", "    scope: vcpu\n    attribute_when: wait_share >\n"))
                .getMessage()).startsWith("my.yaml line 7: rule my-rule: attribute_when: expression ends too early");
        String vm = VALID.replace("scope: vcpu", "scope: vm");
        assertThat(refusal(vm.replace("wait_share > 0.5", "neighbours_slowed(1.5, 5m) >= 2")).getMessage())
                .startsWith("my.yaml line 7: rule my-rule: condition: neighbours_slowed needs a share between 0 and 1 "
                        + "here, e.g. 0.5");
        assertThat(refusal(vm.replace("wait_share > 0.5", "neighbours_slowed(0.5, x) >= 2")).getMessage())
                .startsWith("my.yaml line 7: rule my-rule: condition: neighbours_slowed needs a positive duration");
    }

    @Test
    void anOperatorRuleReplacesTheDefaultOneWithTheSameId() throws Exception {
        Path mine = Files.writeString(dir.resolve("starvation.yaml"), VALID.replace("my-rule", "vcpu-starvation"));
        RulePack pack = RulePack.load(List.of(dir));
        assertThat(pack.specs()).filteredOn(r -> r.id().equals("vcpu-starvation")).singleElement()
                .satisfies(r -> assertThat(r.condition()).isEqualTo("wait_share > 0.5"));
        assertThat(pack.specs().size()).isEqualTo(RulePack.load(List.of()).specs().size());
        assertThat(mine).exists();
    }

    @Test
    void evidenceNamesTheFiguresAsWrittenWithDurationsInSeconds() throws Exception {
        RulePack pack = RulePack.fromTexts(Map.of("my.yaml", VALID.replace("scope: vcpu", "scope: vm").replace(
                "condition: wait_share > 0.5", "condition: rate(run_seconds, 1m) / vcpus < 0.5 * min(1, host_cpus / "
                        + "(host_vcpus + 1)) and ewma(rate(wait_seconds, 30s), 1.5m) > max(-vcpus, 0)")));

        assertThat(pack.rules().get(0).evidence()).containsOnlyKeys("rate(run_seconds, 60s)", "run_seconds", "vcpus",
                "min(1, host_cpus / (host_vcpus + 1))", "host_cpus", "host_vcpus", "ewma(rate(wait_seconds, 30s), 90s)",
                "rate(wait_seconds, 30s)", "wait_seconds", "max(-vcpus, 0)");
    }

    @Test
    void rulesReloadWhenTheirFileChangesAndOnSighup() throws Exception {
        Path file = Files.writeString(dir.resolve("mine.yaml"), VALID);
        Files.writeString(dir.resolve("not-rules.jsonl"), "{}\n");
        RuleEngine engine = new RuleEngine(RulePack.load(List.of(file)), new AlertFactory("h"), a -> { }, 2);
        AtomicInteger loads = new AtomicInteger();
        try (RuleReloader reloader = new RuleReloader(List.of(file), engine, p -> loads.incrementAndGet())) {
            Files.writeString(dir.resolve("not-rules.jsonl"), "{}\n{}\n");
            Files.writeString(file, ruleWith("condition", "'wait_share > 0.7'"));
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> engine.pack().specs().stream()
                    .anyMatch(r -> r.id().equals("my-rule") && r.condition().equals("wait_share > 0.7")));
            Thread.sleep(1000); // let the watcher settle: the other file in the directory must not add a reload
            assertThat(loads.get()).isEqualTo(1);

            Process hup = new ProcessBuilder("kill", "-HUP", Long.toString(ProcessHandle.current().pid())).start();
            assertThat(hup.waitFor()).isZero();
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> loads.get() == 2);
        }
    }

    @Test
    void aReloadWithAMistakeKeepsThePreviousRules() throws Exception {
        Path file = Files.writeString(dir.resolve("mine.yaml"), VALID);
        RulePack first = RulePack.load(List.of(file));
        RuleEngine engine = new RuleEngine(first, new AlertFactory("h"), a -> { }, 2);
        try (RuleReloader reloader = new RuleReloader(List.of(file), engine, p -> { })) {
            Files.writeString(file, ruleWith("condition", "'wait_share >'"));
            assertThat(reloader.reload("test")).isFalse();
            assertThat(engine.pack()).isSameAs(first);

            Files.writeString(file, ruleWith("condition", "'wait_share > 0.9'"));
            assertThat(reloader.reload("test")).isTrue();
            assertThat(engine.pack().specs()).filteredOn(r -> r.id().equals("my-rule")).singleElement()
                    .satisfies(r -> assertThat(r.condition()).isEqualTo("wait_share > 0.9"));
        }
    }
}
