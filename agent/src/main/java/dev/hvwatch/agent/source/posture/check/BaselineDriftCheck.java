package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.config.AgentConfig.Baseline;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * HY-SR-19: the host keeps the settings the operator declared ({@code posture.baseline}): kernel command-line tokens
 * present or absent, kvm module parameters, sysctls, and the status each CPU flaw's mitigation must show. Every
 * difference is named. Without a declared baseline there is nothing to drift from.
 */
public final class BaselineDriftCheck implements PostureCheck {
    private final Baseline baseline;

    public BaselineDriftCheck(Baseline baseline) {
        this.baseline = baseline;
    }

    @Override
    public String id() {
        return "baseline-drift";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        if (baseline.isEmpty()) {
            return List.of();
        }
        List<String> drift = new ArrayList<>();
        cmdline(host.kernelCmdline(), drift);
        for (Map.Entry<String, String> p : new TreeMap<>(baseline.kvmParameters()).entrySet()) {
            int dot = p.getKey().indexOf('.');
            String actual = host.moduleParameter(p.getKey().substring(0, dot), p.getKey().substring(dot + 1));
            if (!p.getValue().equals(actual)) {
                drift.add(p.getKey() + " is " + (actual == null ? "absent" : actual) + ", declared " + p.getValue());
            }
        }
        for (Map.Entry<String, String> s : new TreeMap<>(baseline.sysctls()).entrySet()) {
            String actual = host.read(host.proc("sys/" + s.getKey().replace('.', '/')));
            String normalised = actual == null ? null : String.join(" ", actual.split("\\s+"));
            if (!s.getValue().equals(normalised)) {
                drift.add("sysctl " + s.getKey() + " is " + (actual == null ? "absent" : normalised) + ", declared "
                        + s.getValue());
            }
        }
        Map<String, String> vulnerabilities = host.vulnerabilities();
        for (Map.Entry<String, String> m : new TreeMap<>(baseline.mitigations()).entrySet()) {
            String actual = vulnerabilities.get(m.getKey());
            if (actual == null || !actual.startsWith(m.getValue())) {
                drift.add(m.getKey() + " is '" + (actual == null ? "not reported" : actual) + "', declared '"
                        + m.getValue() + "…'");
            }
        }
        if (drift.isEmpty()) {
            return List.of(Outcome.pass(id(), null));
        }
        return List.of(Outcome.fail(id(), null, "The host differs from its declared baseline in " + drift.size()
                        + " setting(s): " + String.join("; ", drift) + ".",
                "Restore the declared settings, and find out who changed the host (or update posture.baseline if the "
                        + "change was intended).",
                Map.of("drift", String.join("; ", drift))));
    }

    private void cmdline(List<String> words, List<String> drift) {
        for (String token : baseline.kernelCmdline()) {
            if (token.startsWith("!")) {
                String refused = token.substring(1);
                words.stream().filter(w -> w.equals(refused) || (!refused.contains("=") && w.startsWith(refused + "=")))
                        .forEach(w -> drift.add("kernel command line has " + w + ", declared absent"));
            } else if (!words.contains(token)) {
                drift.add("kernel command line lacks " + token);
            }
        }
    }
}
