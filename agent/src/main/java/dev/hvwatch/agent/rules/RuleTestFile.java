package dev.hvwatch.agent.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Unit tests for rules, in the spirit of {@code promtool test rules}: synthetic input over time and the alerts
 * expected, with their timing. See {@code rules/default.tests.yaml} for the documented form.
 *
 * @param ruleFiles {@code default} for the default pack, or rule files relative to the test file
 * @param interval  the sampling interval of the input: value i of a series is read at i × interval
 * @param hostCpus  the host's CPU count the rules see (default 2)
 */
public record RuleTestFile(@JsonProperty("rule_files") List<String> ruleFiles, Duration interval,
                           @JsonProperty("host_cpus") Integer hostCpus, List<Case> tests) {

    public RuleTestFile {
        hostCpus = hostCpus == null ? 2 : hostCpus;
        ruleFiles = ruleFiles == null ? List.of("default") : List.copyOf(ruleFiles);
        interval = interval == null ? Duration.ofSeconds(1) : interval;
        tests = tests == null ? List.of() : List.copyOf(tests);
    }

    /** One test: VMs, input series and notices, and every alert expected (in order), nothing else. */
    public record Case(String name, List<VmSpec> vms, Duration duration, List<Input> input, List<Expected> expect) {
        public Case {
            vms = vms == null ? List.of() : List.copyOf(vms);
            input = input == null ? List.of() : List.copyOf(input);
            expect = expect == null ? List.of() : List.copyOf(expect);
        }
    }

    /** A VM of the test: its vCPUs, and the host CPUs they may run on (default: all). */
    public record VmSpec(String name, Integer vcpus, String cpus) {
        public VmSpec {
            vcpus = vcpus == null ? 1 : vcpus;
        }
    }

    /**
     * One input, of one of four kinds:
     * <ul>
     * <li>{@code vcpu: VM/N} with {@code wait_share}: the share of runnable time the vCPU waited in each interval
     * (value i covers the interval ending at (i + 1) × interval), and optionally {@code runnable}: the share of each
     * interval the vCPU was runnable at all (default 1: throughout, so it runs the rest of the interval; less: a
     * guest that idles, asleep the rest of the time);
     * <li>{@code process: NAME} with {@code cpus} and {@code run_share}: a host process, the share of one CPU it ran
     * in each interval (for rules that name who took the CPU);
     * <li>{@code metric: NAME} (as on /metrics) with {@code labels}, {@code vm} or {@code vcpu: VM/N} (neither: a
     * host series) and {@code values};
     * <li>{@code notice: TYPE} with {@code device}, {@code vm}, {@code facts} and the times {@code at}.
     * </ul>
     * Series use promtool's notation: {@code 1 2 3}, {@code 0+10x5} (0 10 … 50), {@code 7x3} (7 7 7 7), {@code _} for
     * no value.
     */
    public record Input(String vcpu, @JsonProperty("wait_share") String waitShare, String metric,
                        Map<String, String> labels, String vm, String values, String notice,
                        String device, Map<String, Object> facts, List<Duration> at, String process, String cpus,
                        @JsonProperty("run_share") String runShare, String runnable) {
        public Input {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            facts = facts == null ? Map.of() : Map.copyOf(facts);
            at = at == null ? List.of() : List.copyOf(at);
        }
    }

    /** An alert expected at a time, with its subject. */
    public record Expected(Duration at, String rule, String state, String vm, Integer vcpu, String device,
                           @JsonProperty("message_contains") String messageContains) {
    }
}
