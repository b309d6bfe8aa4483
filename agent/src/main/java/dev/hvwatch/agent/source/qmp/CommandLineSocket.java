package dev.hvwatch.agent.source.qmp;

import dev.hvwatch.agent.source.discovery.Vm;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The QMP socket a VM's command line names, if hvwatch may use it. Not libvirt's: libvirt holds its monitor for the
 * VM's lifetime and reconnects after a libvirtd restart; a client that took the monitor meanwhile would cut libvirt
 * off from its VM. libvirt names that monitor's chardev {@code charmonitor} ({@code -mon
 * chardev=charmonitor,id=monitor,mode=control}). Give hvwatch a socket of its own instead (a second {@code -qmp},
 * e.g. through {@code <qemu:commandline>}) and configure its path.
 */
final class CommandLineSocket {
    private static final String LIBVIRT_MONITOR = "chardev=charmonitor";

    private CommandLineSocket() {
    }

    /**
     * @param procRoot where proc is mounted: a relative path is relative to QEMU's working directory, which
     *                 {@code PROC/PID/cwd} leads to
     */
    static Optional<Path> of(Vm vm, Path procRoot) {
        if (isLibvirtsMonitor(vm.commandLine())) {
            return Optional.empty();
        }
        return vm.qmpSocket().map(p -> p.isAbsolute() ? p
                : procRoot.resolve(Long.toString(vm.pid())).resolve("cwd").resolve(p));
    }

    static boolean isLibvirtsMonitor(List<String> argv) {
        for (int i = 1; i < argv.size(); i++) {
            String option = argv.get(i - 1);
            if ((option.equals("-mon") || option.equals("--mon")) && argv.get(i).contains(LIBVIRT_MONITOR)) {
                return true;
            }
        }
        return false;
    }
}
