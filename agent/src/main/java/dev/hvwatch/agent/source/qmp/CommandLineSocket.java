package dev.hvwatch.agent.source.qmp;

import dev.hvwatch.agent.vm.Vm;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The QMP socket a VM's command line names, if hvwatch may use it. Not libvirt's: libvirt holds its monitor for the
 * VM's lifetime and reconnects after a libvirtd restart; a client that took the monitor meanwhile would cut libvirt
 * off from its VM (see {@link Vm#managedByLibvirt()}). hvwatch reads libvirt's VMs through libvirt instead
 * (agent.source.libvirt).
 */
final class CommandLineSocket {

    private CommandLineSocket() {
    }

    /**
     * @param procRoot where proc is mounted: a relative path is relative to QEMU's working directory, which
     *                 {@code PROC/PID/cwd} leads to
     */
    static Optional<Path> of(Vm vm, Path procRoot) {
        if (vm.managedByLibvirt()) {
            return Optional.empty();
        }
        return vm.qmpSocket().map(p -> p.isAbsolute() ? p
                : procRoot.resolve(Long.toString(vm.pid())).resolve("cwd").resolve(p));
    }
}
