package dev.hvwatch.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The canonical alert: what every stage from the rule engine to the SOC outputs carries. Its JSON form is specified by
 * the schema {@code alert.schema.json} in this package. {@code time} is RFC 3339 UTC with nanoseconds (see
 * {@link AlertTime}); optional fields are omitted when absent. {@code runbookUrl} is where the operator's runbook for
 * the rule is; agents before it existed sent none, so a collector accepts alerts without it.
 */
@JsonPropertyOrder({"id", "agent", "seq", "time", "host", "rule", "title", "severity", "category", "state",
        "vm", "vcpu", "device", "nist", "evidence", "message",
        "runbook_url"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Alert(
        String id,
        String agent,
        long seq,
        String time,
        String host,
        String rule,
        String title,
        Severity severity,
        Category category,
        AlertState state,
        VmRef vm,
        Integer vcpu,
        String device,
        List<String> nist,
        Map<String, Object> evidence,
        String message,
        @JsonProperty("runbook_url") String runbookUrl) {

    public Alert {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(state, "state");
        nist = nist == null ? List.of() : List.copyOf(nist);
        evidence = evidence == null ? Map.of() : evidence;
    }

    /** The same alert with the sequence number the agent's spool assigned to it. */
    public Alert withSeq(long newSeq) {
        return new Alert(id, agent, newSeq, time, host, rule, title, severity, category, state, vm, vcpu, device,
                nist, evidence, message, runbookUrl);
    }
}
