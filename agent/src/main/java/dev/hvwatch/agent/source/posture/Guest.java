package dev.hvwatch.agent.source.posture;

import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.cgroup.CgroupPath;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One VM as the posture checks see it: its QEMU process's files under {@code /proc/PID}, its command line, its cgroups
 * and, when libvirt runs it, its status XML. Each is read at most once per run, when a check first asks.
 */
public final class Guest {
    private final HostView host;
    private final WatchedVm watched;
    private QemuArgs args;
    private ProcStatus status;
    private Optional<LibvirtDomain> libvirt;
    private UnreadableInput libvirtProblem;
    private Set<Long> sockets;
    private String macLabel;
    private boolean macLabelRead;

    Guest(HostView host, WatchedVm watched) {
        this.host = host;
        this.watched = watched;
    }

    public Vm vm() {
        return watched.vm();
    }

    public String name() {
        return watched.vm().name();
    }

    public Path procDir() {
        return host.proc(Long.toString(vm().pid()));
    }

    public QemuArgs args() {
        if (args == null) {
            args = QemuArgs.parse(vm().commandLine());
        }
        return args;
    }

    public ProcStatus status() throws UnreadableInput {
        if (status == null) {
            status = statusOf(procDir());
        }
        return status;
    }

    private ProcStatus statusOf(Path dir) throws UnreadableInput {
        Path file = dir.resolve("status");
        String text = host.read(file);
        if (text == null) {
            throw new UnreadableInput(file, "missing");
        }
        return ProcStatus.parse(file, text);
    }

    /**
     * The libvirt status file of this VM ({@code <libvirt root>/NAME.xml}), when it is this process's: libvirt
     * records the pid, and the UUID is checked too, so that a stale file of an earlier VM of that name is not read.
     */
    public Optional<LibvirtDomain> libvirt() throws UnreadableInput {
        if (libvirtProblem != null) {
            throw libvirtProblem; // parsed once per run, even when it fails
        }
        if (libvirt == null) {
            Path file = host.roots().libvirt().resolve(name() + ".xml");
            try {
                LibvirtDomain domain = Files.isRegularFile(file) ? LibvirtDomain.read(file) : null;
                boolean ours = domain != null && (domain.pid() == vm().pid() || (domain.pid() < 0
                        && !vm().uuid().isEmpty() && vm().uuid().equalsIgnoreCase(domain.uuid())));
                libvirt = ours ? Optional.of(domain) : Optional.empty();
            } catch (UnreadableInput e) {
                libvirtProblem = e;
                throw e;
            }
        }
        return libvirt;
    }

    /** The thread that runs vCPU 0, or the process when QEMU does not name its vCPU threads. */
    private Path firstVcpuTask() {
        return watched.vcpuThreads().values().stream().findFirst()
                .map(tid -> procDir().resolve("task").resolve(Long.toString(tid)))
                .orElse(procDir());
    }

    /**
     * The CPUs the VM's vCPUs may run on: the union of its vCPU threads' {@code Cpus_allowed_list} (libvirt pins each
     * vCPU thread by itself), or the process's when the threads are not named.
     */
    public CpuList vcpuAffinity() throws UnreadableInput {
        List<Path> tasks = new ArrayList<>();
        watched.vcpuThreads().values().forEach(tid -> tasks.add(procDir().resolve("task").resolve(Long.toString(tid))));
        if (tasks.isEmpty()) {
            tasks.add(procDir());
        }
        CpuList union = CpuList.parse("");
        for (Path task : tasks) {
            ProcStatus s = statusOf(task);
            String allowed = s.field("Cpus_allowed_list");
            if (allowed == null) {
                throw new UnreadableInput(task.resolve("status"), "no Cpus_allowed_list line");
            }
            try {
                union = union.union(CpuList.parse(allowed));
            } catch (IllegalArgumentException e) {
                throw new UnreadableInput(task.resolve("status"), "Cpus_allowed_list: " + e.getMessage());
            }
        }
        return union;
    }

    /**
     * The cgroup directories the vCPUs run in, from the vCPU thread's own cgroup up to the hierarchy's root
     * (excluded): a limit set on any of them applies. The cgroup v2 chain comes first, then the cgroup v1 chain of
     * {@code v1Controller} (hybrid hosts have both).
     */
    public List<Path> cgroupChain(String v1Controller) throws UnreadableInput {
        Path file = firstVcpuTask().resolve("cgroup");
        String text = host.read(file);
        if (text == null) {
            throw new UnreadableInput(file, "missing");
        }
        List<Path> chain = new ArrayList<>();
        try {
            CgroupPath.of(host.roots().cgroup(), List.of(text.split("\n")), v1Controller)
                    .forEach(c -> chain.addAll(c.ancestry()));
        } catch (IllegalArgumentException e) {
            throw new UnreadableInput(file, e.getMessage());
        }
        return chain;
    }

    /** The inodes of the sockets the QEMU process holds ({@code fd/N -> socket:[inode]}). */
    public Set<Long> socketInodes() throws UnreadableInput {
        if (sockets == null) {
            Set<Long> found = new HashSet<>();
            Path fdDir = procDir().resolve("fd");
            for (String fd : host.list(fdDir)) {
                String target;
                try {
                    target = Files.readSymbolicLink(fdDir.resolve(fd)).toString();
                } catch (IOException closedMeanwhile) {
                    continue;
                }
                if (target.startsWith("socket:[") && target.endsWith("]")) {
                    try {
                        found.add(Long.parseLong(target.substring("socket:[".length(), target.length() - 1)));
                    } catch (NumberFormatException e) {
                        throw new UnreadableInput(fdDir.resolve(fd), "socket link '" + target + "' has no inode");
                    }
                }
            }
            sockets = found;
        }
        return sockets;
    }

    /**
     * The QEMU process's security label ({@code /proc/PID/attr/current}): an SELinux context or an AppArmor profile
     * with its mode. Null when no security module gives labels: the kernel then answers EINVAL.
     */
    public String macLabel() throws UnreadableInput {
        if (!macLabelRead) {
            Path file = procDir().resolve("attr/current");
            try {
                String label = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).replace("\0", "").strip();
                macLabel = label.isEmpty() ? null : label;
            } catch (NoSuchFileException e) {
                macLabel = null;
            } catch (IOException e) {
                // The JDK gives no errno: the read's EINVAL arrives as its strerror text.
                if (e.getMessage() == null || !e.getMessage().contains("Invalid argument")) {
                    throw new UnreadableInput(file, "cannot read: " + e.getMessage(), e);
                }
                macLabel = null;
            }
            macLabelRead = true;
        }
        return macLabel;
    }
}
