package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.GuestCheck;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.Map;
import java.util.Optional;

/** HY-SR-4, per VM: no VM has more vCPUs than the host has CPUs, which it could never run at once. */
public final class VcpusBeyondHostCheck implements GuestCheck {
    @Override
    public String id() {
        return "vcpus-beyond-host";
    }

    @Override
    public Optional<Outcome> check(HostView host, Guest guest) throws UnreadableInput {
        int cpus = host.onlineCpus().count();
        int vcpus = guest.vm().vcpus();
        if (vcpus <= cpus) {
            return Optional.of(Outcome.pass(id(), guest.vm()));
        }
        return Optional.of(Outcome.fail(id(), guest.vm(), "VM " + guest.name() + " has " + vcpus + " vCPUs, more "
                        + "than the host's " + cpus + " CPUs: they can never all run at once.",
                "Give the VM at most as many vCPUs as the host has CPUs, or move it to a larger host.",
                Map.of("vcpus", vcpus, "host_cpus", cpus)));
    }
}
