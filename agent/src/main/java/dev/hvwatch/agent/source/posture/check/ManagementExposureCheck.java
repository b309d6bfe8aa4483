package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.GuestCheck;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.TcpListeners.Listener;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * HY-SR-20 (and HY-SR-13 for migration): management interfaces listen only where the management network reaches them,
 * never on all addresses. Every TCP listener of a QEMU process is one — VNC, SPICE, a QMP or HMP monitor, an incoming
 * migration, a serial console or gdb stub — and is read in the QEMU's own network namespace
 * ({@code /proc/PID/net/tcp{,6}}, matched to it by socket inode). On the host, the configured management ports
 * (libvirtd's 16509 and 16514 by default) count whoever listens on them. Which address is the management network's,
 * the agent cannot know: it flags the wildcard addresses (0.0.0.0, ::), which reach every network.
 */
public final class ManagementExposureCheck implements GuestCheck {
    private static final Map<Integer, String> KNOWN = Map.of(16509, "libvirt TCP", 16514, "libvirt TLS");

    private final Set<Integer> managementPorts;

    public ManagementExposureCheck(List<Integer> managementPorts) {
        this.managementPorts = Set.copyOf(managementPorts);
    }

    @Override
    public String id() {
        return "management-exposure";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) {
        List<Outcome> out = new ArrayList<>(GuestCheck.super.run(host, problems));
        try {
            out.add(hostListeners(host));
        } catch (UnreadableInput e) {
            problems.report(id(), e);
        }
        return out;
    }

    @Override
    public Optional<Outcome> check(HostView host, Guest guest) throws UnreadableInput {
        Set<Long> sockets = guest.socketInodes();
        List<String> exposed = new ArrayList<>();
        for (Listener l : host.listenersOf(guest.procDir())) {
            if (l.allAddresses() && sockets.contains(l.inode())) {
                exposed.add(l.endpoint());
            }
        }
        if (exposed.isEmpty()) {
            return Optional.of(Outcome.pass(id(), guest.vm()));
        }
        return Optional.of(Outcome.fail(id(), guest.vm(), "QEMU of VM " + guest.name() + " listens on all addresses at "
                        + String.join(", ", exposed) + ": its VNC, SPICE, monitor, migration or console socket is "
                        + "reachable from every network the host is on.",
                "Bind it to the management network's address, loopback or a unix socket (e.g. -vnc 127.0.0.1:0, "
                        + "-qmp unix:PATH; libvirt: the listen address of <graphics> and vnc_listen in qemu.conf).",
                Map.of("listeners", String.join(",", exposed))));
    }

    private Outcome hostListeners(HostView host) throws UnreadableInput {
        Set<Long> qemuSockets = new HashSet<>();
        for (Guest g : host.guests()) {
            try {
                qemuSockets.addAll(g.socketInodes());
            } catch (UnreadableInput reportedWithTheGuest) {
                // its own outcome above reported it
            }
        }
        List<String> exposed = new ArrayList<>();
        for (Listener l : host.hostListeners()) {
            if (l.allAddresses() && managementPorts.contains(l.port()) && !qemuSockets.contains(l.inode())) {
                exposed.add(l.endpoint() + " (" + KNOWN.getOrDefault(l.port(), "management port") + ")");
            }
        }
        if (exposed.isEmpty()) {
            return Outcome.pass(id(), null);
        }
        return Outcome.fail(id(), null, "A host management interface listens on all addresses at "
                        + String.join(", ", exposed) + ": it is reachable from every network the host is on.",
                "Bind it to the management network's address only (libvirtd: listen_addr in libvirtd.conf or the "
                        + "socket unit's ListenStream=).",
                Map.of("listeners", String.join(",", exposed)));
    }
}
