package dev.hvwatch.agent.source.posture;

import dev.hvwatch.agent.vm.Vm;
import java.util.Map;
import java.util.Objects;

/**
 * What one check found about the host or one VM: passed, or failed with one sentence saying what is wrong, one saying
 * how to fix it, and the values that show it. A check that does not apply (no KVM module, no pinning) has no outcome.
 *
 * @param vm       the VM concerned, or null for the host
 * @param device   the device concerned (a PCI address), or null
 * @param evidence the figures behind a failure, by name; values are strings or numbers
 */
public record Outcome(String check, Vm vm, boolean passed, String device, String summary, String fix,
                      Map<String, Object> evidence) {
    public Outcome {
        Objects.requireNonNull(check, "check");
        evidence = Map.copyOf(evidence);
    }

    public static Outcome pass(String check, Vm vm) {
        return new Outcome(check, vm, true, null, null, null, Map.of());
    }

    public static Outcome fail(String check, Vm vm, String summary, String fix, Map<String, Object> evidence) {
        return new Outcome(check, vm, false, null, Objects.requireNonNull(summary, "summary"),
                Objects.requireNonNull(fix, "fix"), evidence);
    }

    public Outcome onDevice(String pciAddress) {
        return new Outcome(check, vm, passed, pciAddress, summary, fix, evidence);
    }
}
