package dev.hvwatch.agent;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The one clear line an operator sees at start when there is nothing to watch yet, and why. */
final class HostReport {
    private HostReport() {
    }

    static void printFirstLook(Agent agent, boolean demoGuestsComing, PrintStream out) {
        Path kvm = Path.of("/dev/kvm");
        if (!Files.exists(kvm)) {
            out.println("hvwatch: this host has no /dev/kvm (KVM is not available here); watching for QEMU guests anyway.");
        } else if (agent.vmCount() == 0 && !demoGuestsComing) {
            out.println("hvwatch: no KVM guests running on this host yet; watching every "
                    + agent.config().sampling().interval().toMillis() + " ms (start a guest, or try ./hvwatch demo from a source checkout).");
        } else {
            out.println("hvwatch: watching " + agent.vmCount() + " VM(s); metrics at http://"
                    + agent.metricsAddress().getHostString() + ":" + agent.metricsAddress().getPort() + "/metrics");
        }
    }
}
