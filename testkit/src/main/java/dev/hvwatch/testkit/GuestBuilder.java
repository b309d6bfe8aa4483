package dev.hvwatch.testkit;

import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * What every test guest is given, whether QEMU runs it directly ({@link QemuGuest}) or libvirt does
 * ({@link LibvirtGuest}): a name, a UUID, the boot-sector program, vCPUs, memory, and the host CPUs it may run on.
 *
 * @param <B> the concrete builder, so that the setters chain
 */
public abstract class GuestBuilder<B extends GuestBuilder<B>> {
    static final Pattern CPU_LIST = Pattern.compile("\\d+(-\\d+)?(,\\d+(-\\d+)?)*");

    String name;
    UUID uuid = UUID.randomUUID();
    GuestProgram program;
    int vcpus = 1;
    int memoryMib = 32;
    String cpus;

    GuestBuilder() {
    }

    abstract B self();

    public B name(String name) {
        if (name.isBlank()) {
            throw new IllegalArgumentException("guest name must not be blank");
        }
        this.name = name;
        return self();
    }

    public B uuid(UUID uuid) {
        this.uuid = Objects.requireNonNull(uuid, "uuid");
        return self();
    }

    public B program(GuestProgram program) {
        this.program = Objects.requireNonNull(program, "program");
        return self();
    }

    public B vcpus(int vcpus) {
        if (vcpus < 1) {
            throw new IllegalArgumentException("vcpus must be at least 1, got " + vcpus);
        }
        this.vcpus = vcpus;
        return self();
    }

    public B memoryMib(int memoryMib) {
        if (memoryMib < 1) {
            throw new IllegalArgumentException("memoryMib must be at least 1, got " + memoryMib);
        }
        this.memoryMib = memoryMib;
        return self();
    }

    /** The host CPUs every thread of the guest may run on, as a CPU list such as {@code "0"} or {@code "0-1,3"}. */
    B cpus(String cpuList) {
        if (!CPU_LIST.matcher(cpuList).matches()) {
            throw new IllegalArgumentException("not a CPU list: " + cpuList);
        }
        this.cpus = cpuList;
        return self();
    }

    void requireNameAndProgram() {
        Objects.requireNonNull(name, "name is required");
        Objects.requireNonNull(program, "program is required");
    }
}
