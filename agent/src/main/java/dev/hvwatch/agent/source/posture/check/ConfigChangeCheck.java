package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.GuestCheck;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * HY-SR-17: a running VM's configuration changed. Under libvirt that is its live domain XML (hot-plugged devices,
 * memory, CPU tuning, …), compared section by section with the previous run; a QEMU's own command line cannot change
 * while it runs, and its start and hot-plug are reported by discovery and the QMP source. Fails in the one run that
 * sees the change; the posture-config-change rule keeps the alert until three quiet runs have passed.
 */
public final class ConfigChangeCheck implements GuestCheck {
    /** The last configuration seen of each VM (identity: a restarted VM starts afresh); sampling thread only. */
    private final Map<Vm, Map<String, String>> seen = new IdentityHashMap<>();

    @Override
    public String id() {
        return "config-change";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) {
        Set<Vm> present = Collections.newSetFromMap(new IdentityHashMap<>());
        host.guests().forEach(g -> present.add(g.vm()));
        seen.keySet().retainAll(present);
        return GuestCheck.super.run(host, problems);
    }

    @Override
    public Optional<Outcome> check(HostView host, Guest guest) throws UnreadableInput {
        Map<String, String> now = guest.libvirt().map(d -> d.sectionDigests())
                .orElse(Map.of("command line", String.join("\0", guest.vm().commandLine())));
        Map<String, String> before = seen.put(guest.vm(), now);
        if (before == null || before.equals(now)) {
            return Optional.of(Outcome.pass(id(), guest.vm()));
        }
        Set<String> sections = new TreeSet<>(before.keySet());
        sections.addAll(now.keySet());
        List<String> changed = new ArrayList<>();
        for (String s : sections) {
            if (!String.valueOf(before.get(s)).equals(String.valueOf(now.get(s)))) {
                changed.add(s);
            }
        }
        return Optional.of(Outcome.fail(id(), guest.vm(), "The configuration of running VM " + guest.name()
                        + " changed (" + String.join(", ", changed) + ").",
                "Check that the change was authorised (libvirt's and the management system's audit logs say who "
                        + "made it) and revert it if not.",
                Map.of("changed_sections", String.join(",", changed))));
    }
}
