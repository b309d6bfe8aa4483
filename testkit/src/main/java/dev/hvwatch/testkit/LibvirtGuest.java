package dev.hvwatch.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A boot-sector guest run as a real libvirt domain: defined with {@code virsh define} from a small XML, started,
 * and on {@link #close()} destroyed and undefined whatever state it is in, so that a failing test leaves no domain
 * behind ({@link GuestCleanupExtension} closes the ones a test forgets). Each domain has its own copy of the image:
 * QEMU takes a write lock on it, and libvirt refuses read-only IDE disks.
 */
public final class LibvirtGuest implements AutoCloseable {
    private static final Duration VIRSH_TIMEOUT = Duration.ofSeconds(60);
    private static final String NOVA_NS = "http://openstack.org/xmlns/libvirt/nova/1.1";

    private final String name;
    private final UUID uuid;
    private final Path image;
    private final Path definition;
    private final int vcpus;
    private boolean closed;

    private LibvirtGuest(String name, UUID uuid, Path image, Path definition, int vcpus) {
        this.name = name;
        this.uuid = uuid;
        this.image = image;
        this.definition = definition;
        this.vcpus = vcpus;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String name() {
        return name;
    }

    public UUID uuid() {
        return uuid;
    }

    /** QEMU's pid, from the pid file libvirt writes for a running domain. */
    public long pid() {
        try {
            return Long.parseLong(Files.readString(Path.of("/run/libvirt/qemu", name + ".pid")).strip());
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("domain " + name + " is not running (no pid file)", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until QEMU's vCPU threads exist; like {@link QemuGuest#awaitVcpuThreads}. */
    public SortedMap<Integer, Long> awaitVcpuThreads(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            SortedMap<Integer, Long> threads = QemuGuest.vcpuThreadIdsOf(pid());
            if (threads.size() == vcpus) {
                return threads;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(this + ": " + threads.size() + " of " + vcpus + " vCPU threads after "
                        + timeout);
            }
            Thread.sleep(20);
        }
    }

    /** {@code virsh} on this domain, e.g. {@code virsh("suspend")}; returns what it printed. */
    public String virsh(String command, String... args) {
        List<String> argv = new ArrayList<>(List.of("virsh", "-c", Libvirtd.URI, command, name));
        argv.addAll(List.of(args));
        return HostCommand.check(VIRSH_TIMEOUT, argv.toArray(String[]::new));
    }

    /** Destroys (if running) and undefines the domain and deletes its image. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        HostCommand.run(VIRSH_TIMEOUT, List.of("virsh", "-c", Libvirtd.URI, "destroy", name));
        HostCommand.run(VIRSH_TIMEOUT, List.of("virsh", "-c", Libvirtd.URI, "undefine", name));
        GuestRegistry.remove(this);
        closed = true;
        try {
            Files.deleteIfExists(image);
            Files.deleteIfExists(definition);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + image, e);
        }
    }

    @Override
    public String toString() {
        return "LibvirtGuest[" + name + "]";
    }

    /**
     * OpenStack Nova's instance metadata, as Nova writes it into the domain ({@code nova:instance}, namespace
     * {@value #NOVA_NS}).
     */
    public record Nova(String instanceName, String project, String projectId, String user, String userId,
                       String flavor) {
        String toXml() {
            return "<nova:instance xmlns:nova=\"" + NOVA_NS + "\">"
                    + "<nova:package version=\"27.1.0\"/>"
                    + "<nova:name>" + Xml.text(instanceName) + "</nova:name>"
                    + "<nova:creationTime>2026-12-01 10:00:00</nova:creationTime>"
                    + "<nova:flavor name=\"" + Xml.attribute(flavor) + "\"><nova:memory>32</nova:memory>"
                    + "<nova:disk>1</nova:disk><nova:swap>0</nova:swap><nova:ephemeral>0</nova:ephemeral>"
                    + "<nova:vcpus>1</nova:vcpus></nova:flavor>"
                    + "<nova:owner><nova:user uuid=\"" + Xml.attribute(userId) + "\">" + Xml.text(user) + "</nova:user>"
                    + "<nova:project uuid=\"" + Xml.attribute(projectId) + "\">" + Xml.text(project)
                    + "</nova:project></nova:owner>"
                    + "</nova:instance>";
        }
    }

    /** Fluent configuration; {@link #start()} defines and starts the domain. */
    public static final class Builder extends GuestBuilder<Builder> {
        private Integer shares;
        private final Map<Integer, String> vcpupin = new TreeMap<>();
        private String title;
        private Nova nova;

        private Builder() {
        }

        @Override
        Builder self() {
            return this;
        }

        /** A libvirt domain name, which tests keep to {@code [A-Za-z0-9_.-]+}. */
        @Override
        public Builder name(String name) {
            if (!name.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("test domain names are [A-Za-z0-9_.-]+, not " + name);
            }
            return super.name(name);
        }

        /** {@code <vcpu cpuset=…>}: the host CPUs every vCPU may run on, e.g. {@code "0"}. */
        public Builder cpuset(String cpuset) {
            return cpus(cpuset);
        }

        /** {@code <cputune><vcpupin vcpu=… cpuset=…>}: the host CPUs one vCPU may run on, e.g. {@code (0, "1")}. */
        public Builder vcpupin(int vcpu, String cpus) {
            if (!cpus.matches("\\d+(-\\d+)?(,\\d+(-\\d+)?)*")) {
                throw new IllegalArgumentException("not a CPU list: " + cpus);
            }
            vcpupin.put(vcpu, cpus);
            return this;
        }

        /** {@code <cputune><shares>}: the domain's CPU weight (cgroup v1 cpu.shares; 1024 is the default). */
        public Builder shares(int shares) {
            this.shares = shares;
            return this;
        }

        public Builder title(String title) {
            this.title = title;
            return this;
        }

        public Builder nova(Nova nova) {
            this.nova = nova;
            return this;
        }

        String xml(Path image) {
            StringBuilder x = new StringBuilder("<domain type='kvm'>");
            x.append("<name>").append(name).append("</name><uuid>").append(uuid).append("</uuid>");
            if (title != null) {
                x.append("<title>").append(Xml.text(title)).append("</title>");
            }
            if (nova != null) {
                x.append("<metadata>").append(nova.toXml()).append("</metadata>");
            }
            x.append("<memory unit='MiB'>").append(memoryMib).append("</memory>");
            x.append("<vcpu placement='static'").append(cpus != null ? " cpuset='" + cpus + "'" : "").append('>')
                    .append(vcpus).append("</vcpu>");
            if (shares != null || !vcpupin.isEmpty()) {
                x.append("<cputune>");
                if (shares != null) {
                    x.append("<shares>").append(shares).append("</shares>");
                }
                vcpupin.forEach((vcpu, cpus) -> x.append("<vcpupin vcpu='").append(vcpu).append("' cpuset='")
                        .append(cpus).append("'/>"));
                x.append("</cputune>");
            }
            x.append("<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>");
            x.append("<on_crash>destroy</on_crash>");
            x.append("<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='")
                    .append(image).append("'/><target dev='hda' bus='ide'/></disk></devices>");
            return x.append("</domain>").toString();
        }

        /** Writes the image, defines the domain and starts it; the domain is running when this returns. */
        public LibvirtGuest start() throws IOException {
            requireNameAndProgram();
            Path image = Libvirtd.imageDir().resolve("hvwatch-test-" + name + "-" + uuid + ".img");
            Files.write(image, program.diskImage());
            Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-r--r--"));
            Path definition = Files.createTempFile("hvwatch-domain-", ".xml");
            Files.writeString(definition, xml(image));
            LibvirtGuest guest = new LibvirtGuest(name, uuid, image, definition, vcpus);
            GuestRegistry.add(guest);
            try {
                HostCommand.check(VIRSH_TIMEOUT, "virsh", "-c", Libvirtd.URI, "define", definition.toString());
                HostCommand.check(VIRSH_TIMEOUT, "virsh", "-c", Libvirtd.URI, "start", name);
            } catch (RuntimeException e) {
                guest.close();
                throw e;
            }
            return guest;
        }
    }

    /** Escaping for the few values tests put into domain XML. */
    static final class Xml {
        private Xml() {
        }

        static String text(String s) {
            return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        }

        static String attribute(String s) {
            return text(s).replace("\"", "&quot;").replace("'", "&apos;");
        }
    }
}
