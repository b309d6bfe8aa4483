package dev.hvwatch.agent.source.discovery;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One running QEMU process, as discovered. Immutable, created once per VM lifetime: events on the ring refer to
 * it, so publishing an event never allocates. {@code startTicks} (field 22 of {@code /proc/PID/stat}) tells a
 * restarted VM that got the same pid from the one before.
 *
 * @param name     the {@code -name guest=} value, or {@code qemu-PID} when the command line has none
 * @param uuid     the {@code -uuid} value, or empty
 * @param kvm      whether the process holds {@code /dev/kvm} open (false: TCG emulation, no hardware isolation)
 * @param commandLine the argv with its secrets masked by {@link CommandLineRedaction}: the raw one never leaves
 *                    discovery
 */
public record Vm(long pid, long startTicks, String name, String uuid, int vcpus, Optional<Path> qmpSocket,
                 boolean kvm, List<String> commandLine) {

    public String describe() {
        return uuid.isEmpty() ? name + " (pid " + pid + ")" : name + " (uuid " + uuid + ", pid " + pid + ")";
    }
}
