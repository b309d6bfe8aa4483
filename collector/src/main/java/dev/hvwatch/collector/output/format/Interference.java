package dev.hvwatch.collector.output.format;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.VmRef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who took the CPU a starved vCPU waited for, as a starvation or unfair-share alert's evidence names it:
 * {@code antagonists} (up to {@value #MAX_ANTAGONISTS} entries {@code {"vm": {…}, "share_of_wait": 0.82, "cpus":
 * "0-1"}}, largest share first), {@code other_host_share} (the share of the wait that went to host processes) and
 * {@code other_host_processes} (their names). Formats with a place of their own for these take them out of the
 * rule's figures; an evidence whose entries do not have this shape is left among the figures as it came, so nothing
 * is lost to a mapping.
 *
 * @param antagonists the VMs that ran on the victim's CPUs while it waited, at most {@value #MAX_ANTAGONISTS}
 * @param otherHostShare the share of the wait that went to processes of the host, or null
 * @param otherHostProcesses the names of the busiest of them, at most {@value #MAX_PROCESSES}
 */
record Interference(List<Antagonist> antagonists, Double otherHostShare, List<String> otherHostProcesses) {
    static final String ANTAGONISTS = "antagonists";
    static final String OTHER_HOST_SHARE = "other_host_share";
    static final String OTHER_HOST_PROCESSES = "other_host_processes";
    /** What the agent sends at most; more from a misbehaving agent are left out of every format but json. */
    static final int MAX_ANTAGONISTS = 5;
    static final int MAX_PROCESSES = 5;
    /** VM objects may grow fields; an antagonist is read for the ones this collector knows. */
    private static final ObjectMapper LENIENT = AlertJson.mapper().copy()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** One VM that ran on the victim's CPUs while the victim waited. */
    record Antagonist(VmRef vm, double shareOfWait, String cpus) {
    }

    /** The interference an evidence names, or null when it names none or not in the documented shape. */
    static Interference of(Map<String, Object> evidence) {
        Object antagonists = evidence.get(ANTAGONISTS);
        Object share = evidence.get(OTHER_HOST_SHARE);
        Object processes = evidence.get(OTHER_HOST_PROCESSES);
        if (antagonists == null && share == null && processes == null) {
            return null;
        }
        if ((antagonists != null && !(antagonists instanceof List<?>)) || (share != null && !(share instanceof Number))
                || (processes != null && !(processes instanceof List<?>))) {
            return null;
        }
        List<Antagonist> read = new ArrayList<>();
        for (Object each : antagonists == null ? List.of() : (List<?>) antagonists) {
            Antagonist antagonist = antagonist(each);
            if (antagonist == null) {
                return null;
            }
            if (read.size() < MAX_ANTAGONISTS) {
                read.add(antagonist);
            }
        }
        List<String> names = new ArrayList<>();
        for (Object name : processes == null ? List.of() : (List<?>) processes) {
            if (!(name instanceof String text)) {
                return null;
            }
            if (names.size() < MAX_PROCESSES) {
                names.add(text);
            }
        }
        return new Interference(List.copyOf(read), share == null ? null : ((Number) share).doubleValue(),
                List.copyOf(names));
    }

    /** The evidence without what {@code interference} (if any) carries: the rule's own figures. */
    static Map<String, Object> figures(Map<String, Object> evidence, Interference interference) {
        if (interference == null) {
            return evidence;
        }
        Map<String, Object> figures = new LinkedHashMap<>(evidence);
        figures.remove(ANTAGONISTS);
        figures.remove(OTHER_HOST_SHARE);
        figures.remove(OTHER_HOST_PROCESSES);
        return figures;
    }

    private static Antagonist antagonist(Object entry) {
        if (!(entry instanceof Map<?, ?> fields) || !(fields.get("vm") instanceof Map<?, ?> vm)
                || !(fields.get("share_of_wait") instanceof Number share)
                || (fields.get("cpus") != null && !(fields.get("cpus") instanceof String))) {
            return null;
        }
        VmRef ref;
        try {
            ref = LENIENT.convertValue(vm, VmRef.class);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return ref.name() == null && ref.uuid() == null ? null
                : new Antagonist(ref, share.doubleValue(), (String) fields.get("cpus"));
    }
}
