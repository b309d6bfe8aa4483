package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Side channel and denial of service: on a CPU affected by iTLB multihit, KVM's {@code nx_huge_pages} is on; without
 * it a guest can make the host machine-check. KVM's default ({@code auto}) turns it on exactly where needed, so off on
 * an unaffected CPU is fine and passes.
 */
public final class NxHugePagesCheck implements PostureCheck {
    private static final Set<String> OFF = Set.of("n", "0", "off", "never");

    @Override
    public String id() {
        return "nx-huge-pages";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        String value = host.moduleParameter("kvm", "nx_huge_pages");
        if (value == null) {
            return List.of();
        }
        String multihit = host.vulnerabilities().get("itlb_multihit");
        boolean affected = multihit != null && !multihit.startsWith("Not affected");
        if (!affected || !OFF.contains(value.toLowerCase(Locale.ROOT))) {
            return List.of(Outcome.pass(id(), null));
        }
        return List.of(Outcome.fail(id(), null, "KVM's nx_huge_pages is off (" + value + ") on a CPU affected by "
                        + "iTLB multihit (" + multihit + "): a guest can make the host machine-check.",
                "Boot with kvm.nx_huge_pages=auto (the default) or force, or write Y to "
                        + "/sys/module/kvm/parameters/nx_huge_pages.",
                Map.of("nx_huge_pages", value, "itlb_multihit", multihit)));
    }
}
