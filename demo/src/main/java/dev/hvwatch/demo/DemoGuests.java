package dev.hvwatch.demo;

import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The demo's guests, real QEMU/KVM boot-sector guests with QMP sockets (so KVM's statistics show): two spin on the
 * same host CPU, one at nice 19, which gets about 1.5% of the CPU while runnable all the time, so its vCPU's wait
 * share stays near 100% and the starvation rule fires; a third writes to an I/O port in a loop on another CPU, so
 * VM exits per kind show and the port-I/O rule fires. Without KVM or QEMU the demo says why in one line and starts
 * nothing.
 */
public final class DemoGuests implements AutoCloseable {
    private final List<QemuGuest> guests = new ArrayList<>();

    private DemoGuests() {
    }

    public static DemoGuests start(PrintStream out) throws IOException {
        DemoGuests demo = new DemoGuests();
        Optional<String> unavailable = RealKvm.unavailableReason();
        if (unavailable.isPresent()) {
            out.println("hvwatch: demo guests not started: " + unavailable.get());
            return demo;
        }
        try {
            demo.guests.add(QemuGuest.builder().name("demo-noisy").program(GuestProgram.CPU_SPIN).pinCpus("0")
                    .qmpSocket(true).start());
            demo.guests.add(QemuGuest.builder().name("demo-victim").program(GuestProgram.CPU_SPIN).pinCpus("0")
                    .nice(19).qmpSocket(true).start());
            String ioCpu = String.valueOf(Runtime.getRuntime().availableProcessors() - 1);
            demo.guests.add(QemuGuest.builder().name("demo-io").program(GuestProgram.IO_STORM).pinCpus(ioCpu)
                    .qmpSocket(true).start());
        } catch (IOException | RuntimeException e) {
            demo.close();
            throw e;
        }
        out.println("hvwatch: demo started guests demo-noisy (pid " + demo.guests.get(0).pid() + ") and demo-victim (pid "
                + demo.guests.get(1).pid() + ", nice 19), both spinning on CPU 0, and demo-io (pid "
                + demo.guests.get(2).pid() + ", port I/O in a loop): expect vcpu-starvation for demo-victim, naming "
                + "demo-noisy, and a port-I/O alert for demo-io within a minute.");
        return demo;
    }

    @Override
    public void close() {
        guests.forEach(QemuGuest::close);
        guests.clear();
    }
}
