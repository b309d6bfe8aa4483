package dev.hvwatch.agent.vm;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One running QEMU process, as discovered. Created once per VM lifetime: events on the ring refer to it, so
 * publishing an event never allocates. {@code startTicks} (field 22 of {@code /proc/PID/stat}) tells a
 * restarted VM that got the same pid from the one before. Everything is immutable but the {@link Tenancy}.
 *
 * @param name     the {@code -name guest=} value (libvirt's domain name), or {@code qemu-PID} when there is none
 * @param uuid     the {@code -uuid} value, or empty
 * @param kvm      whether the process holds {@code /dev/kvm} open (false: TCG emulation, no hardware isolation)
 * @param commandLine the argv with its secrets masked by
 *                    {@link dev.hvwatch.agent.source.discovery.CommandLineRedaction}: the raw one never leaves discovery
 * @param manager  what runs it: {@link #LIBVIRT} (libvirt holds its monitor) or {@link #QEMU} (plain QEMU)
 * @param tenancy  who it belongs to, where its manager says
 */
public record Vm(long pid, long startTicks, String name, String uuid, int vcpus, Optional<Path> qmpSocket,
                 boolean kvm, List<String> commandLine, String manager, Tenancy tenancy) {
    public static final String LIBVIRT = "libvirt";
    public static final String QEMU = "qemu";

    /** A plain-QEMU VM with no tenant known. */
    public Vm(long pid, long startTicks, String name, String uuid, int vcpus, Optional<Path> qmpSocket, boolean kvm,
              List<String> commandLine) {
        this(pid, startTicks, name, uuid, vcpus, qmpSocket, kvm, commandLine, QEMU, new Tenancy());
    }

    public Tenant tenant() {
        return tenancy.get();
    }

    public boolean managedByLibvirt() {
        return LIBVIRT.equals(manager);
    }

    public String describe() {
        String instance = tenant().instanceName() != null ? ", instance " + tenant().instanceName() : "";
        return uuid.isEmpty() ? name + " (pid " + pid + instance + ")"
                : name + " (uuid " + uuid + ", pid " + pid + instance + ")";
    }
}
