package dev.hvwatch.agent.rules;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import java.time.Duration;
import java.util.List;

/**
 * One rule as written in a rule file (YAML): what a security analyst reads and an operator overrides. See
 * {@code rules/default.yaml} for the documented form; {@link RulePack} checks and compiles it.
 *
 * @param scope        {@code vcpu}, {@code vm}, {@code host} or {@code notice}
 * @param match        notice rules: the notice type they count, e.g. {@code iommu.fault}
 * @param groupBy      notice rules: the notice fields that make one alert subject (default: {@code vm}, else host)
 * @param condition    an expression that is true while the problem lasts
 * @param resolve      an expression that ends a firing alert (default: the condition is false) — hysteresis
 * @param attributeWhen vcpu and vm rules: an expression true near the threshold, while which the agent keeps the CPU
 *                     censuses that let the alert say who took the CPU (see {@code agent.rules.attribution})
 * @param holdFor      how long the condition must hold before the alert fires
 * @param inhibitedBy  rule ids: while any of them fires anywhere, this rule does not fire
 * @param message      the alert's sentence; {@code {{ expression | percent }}} placeholders are evaluated
 * @param rateLimit    how many firing alerts the rule may raise per VM (or for the host): {@link RateLimit#DEFAULT}
 */
public record RuleSpec(
        String id,
        String title,
        String description,
        Category category,
        Severity severity,
        List<String> nist,
        List<String> tags,
        String scope,
        String match,
        @JsonProperty("group_by") List<String> groupBy,
        String condition,
        String resolve,
        @JsonProperty("attribute_when") String attributeWhen,
        @JsonProperty("for") Duration holdFor,
        @JsonProperty("inhibited_by") List<String> inhibitedBy,
        String message,
        @JsonProperty("resolve_message") String resolveMessage,
        @JsonProperty("rate_limit") RateLimit rateLimit) {

    public RuleSpec {
        nist = nist == null ? List.of() : List.copyOf(nist);
        tags = tags == null ? List.of() : List.copyOf(tags);
        groupBy = groupBy == null ? List.of() : List.copyOf(groupBy);
        inhibitedBy = inhibitedBy == null ? List.of() : List.copyOf(inhibitedBy);
        holdFor = holdFor == null ? Duration.ZERO : holdFor;
        rateLimit = rateLimit == null ? RateLimit.DEFAULT : rateLimit;
    }

    /** The document a rule file holds. */
    public record File(List<RuleSpec> rules) {
        public File {
            rules = rules == null ? List.of() : List.copyOf(rules);
        }
    }
}
