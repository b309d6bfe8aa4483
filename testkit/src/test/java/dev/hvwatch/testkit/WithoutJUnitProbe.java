package dev.hvwatch.testkit;

import java.time.Duration;

/**
 * Run by {@link WithoutJUnitTest} in a JVM that has only this module's classes: what the agent's demo mode
 * does, which has no JUnit. Prints the unavailable reason, or starts a guest and exits without closing it.
 */
public final class WithoutJUnitProbe {

    private WithoutJUnitProbe() {
    }

    public static void main(String[] args) throws Exception {
        try {
            Class.forName("org.junit.jupiter.api.Assumptions");
            throw new IllegalStateException("JUnit is on the probe's classpath, so it proves nothing");
        } catch (ClassNotFoundException expected) {
            // The point of the probe.
        }
        var reason = RealKvm.unavailableReason();
        if (reason.isPresent()) {
            System.out.println("unavailable " + reason.get());
            return;
        }
        QemuGuest guest = QemuGuest.builder().name("left-for-the-shutdown-hook").program(GuestProgram.IDLE)
                .qmpSocket(true).start();
        guest.awaitVcpuThreads(Duration.ofSeconds(20));
        System.out.println("started " + guest.pid() + " " + guest.qmpSocketPath().orElseThrow().getParent());
    }
}
