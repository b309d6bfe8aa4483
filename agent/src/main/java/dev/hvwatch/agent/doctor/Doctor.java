package dev.hvwatch.agent.doctor;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.source.discovery.ProcConnectorEvents;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.libvirt.LibvirtProbe;
import dev.hvwatch.agent.source.libvirt.LibvirtSource;
import dev.hvwatch.agent.source.perf.PerfAccessException;
import dev.hvwatch.agent.source.tracepoint.IommuFaultSource;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What this host offers the agent and what is missing, one {@link Finding} per source and capability. It only
 * looks: it opens nothing for writing and changes no setting. The host paths are parameters so that the checks are
 * tested on fixture trees.
 */
public final class Doctor {
    private final AgentConfig config;
    private final Path sys;
    private final Path dev;
    private final Path run;

    public Doctor(AgentConfig config, Path sys, Path dev, Path run) {
        this.config = config;
        this.sys = sys;
        this.dev = dev;
        this.run = run;
    }

    public static Doctor forThisHost(AgentConfig config) {
        return new Doctor(config, Path.of("/sys"), Path.of("/dev"), Path.of("/run"));
    }

    public List<Finding> examine() throws InterruptedException {
        List<Finding> findings = new ArrayList<>();
        findings.add(kvm());
        Finding proc = otherProcesses();
        findings.add(proc);
        if (proc.status() != Finding.Status.BLOCKING) {
            findings.addAll(guests());
        }
        findings.add(processEvents());
        findings.add(schedstat());
        findings.add(libvirt());
        findings.add(kernelLog());
        findings.add(tracepoints());
        findings.add(iommuFaults());
        findings.add(pmu());
        findings.add(debugfs());
        findings.add(collectorTls());
        return findings;
    }

    /** Exit code 0 when the agent can do useful work here: nothing blocking. */
    public static boolean usable(List<Finding> findings) {
        return findings.stream().noneMatch(f -> f.status() == Finding.Status.BLOCKING);
    }

    private Finding kvm() {
        if (!Files.exists(dev.resolve("kvm"))) {
            return Finding.degraded("kvm", dev.resolve("kvm") + " does not exist: no KVM guests can run on this host",
                    "enable VT-x/AMD-V in the firmware and load kvm_intel or kvm_amd");
        }
        return Finding.ok("kvm", dev.resolve("kvm") + " present");
    }

    private Finding otherProcesses() {
        Path procRoot = config.sampling().procRoot();
        Path initFds = procRoot.resolve("1").resolve("fd");
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(initFds)) {
            fds.iterator().hasNext(); // listing is what needs the privilege
            return Finding.ok("proc", "can read other processes' " + procRoot + "/PID/fd (needed to find QEMU guests)");
        } catch (AccessDeniedException e) {
            return Finding.blocking("proc", "cannot read " + initFds + ": QEMU guests cannot be discovered",
                    "run the agent as root, or grant it CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH");
        } catch (IOException e) {
            return Finding.blocking("proc", "cannot read " + initFds + ": " + e.getMessage(),
                    "mount procfs at " + procRoot + " or set sampling.procRoot");
        }
    }

    private Finding processEvents() {
        Path procRoot = config.sampling().procRoot();
        if (!procRoot.equals(Path.of("/proc"))) {
            return Finding.ok("process-events", "not used: discovery lists " + procRoot + " (sampling.procRoot) "
                    + "every round, and the kernel's events name the processes of /proc");
        }
        try (ProcConnectorEvents events = ProcConnectorEvents.open()) {
            return Finding.ok("process-events", "discovery follows the kernel's process events, listing /proc every "
                    + ProcDiscovery.FULL_SCAN_EVERY + " rounds");
        } catch (IOException | RuntimeException | LinkageError e) {
            return Finding.degraded("process-events", "discovery lists /proc every round, at a cost that grows with "
                    + "the host's processes: " + e.getMessage(), "grant the agent CAP_NET_ADMIN and AF_NETLINK "
                    + "(operator guide, \"The agent's capabilities\")");
        }
    }

    private List<Finding> guests() throws InterruptedException {
        ProcDiscovery discovery = new ProcDiscovery(config.sampling().procRoot());
        Collection<WatchedVm> found = List.of();
        try {
            // A QEMU still starting is looked at again before it is called emulated: scan a few times.
            for (int i = 0; i < 3; i++) {
                discovery.scan();
                Thread.sleep(100);
            }
            found = discovery.watched().values();
        } catch (IOException e) {
            return List.of(Finding.blocking("guests", "scanning " + config.sampling().procRoot() + " failed: "
                    + e.getMessage(), null));
        }
        List<Finding> findings = new ArrayList<>();
        if (found.isEmpty()) {
            findings.add(Finding.ok("guests", "no QEMU guests running now; the agent picks them up as they start"));
            return findings;
        }
        findings.add(Finding.ok("guests", found.size() + " QEMU guest(s): " + found.stream()
                .map(w -> w.vm().name() + (w.vm().kvm() ? "" : " (emulated, no KVM)"))
                .collect(Collectors.joining(", "))));
        for (WatchedVm w : found) {
            Vm vm = w.vm();
            if (!vm.kvm()) {
                findings.add(Finding.degraded("guest " + vm.name(), "runs under TCG emulation, without hardware "
                        + "virtualisation (NIST SP 800-125A HY-SR-2)", "start it with -accel kvm"));
            }
            if (w.vcpuThreads().isEmpty()) {
                findings.add(Finding.degraded("guest " + vm.name(), "its vCPU threads are not named, so per-vCPU "
                        + "run/wait time cannot be read", "start QEMU with -name " + vm.name() + ",debug-threads=on "
                        + "(libvirt does this)"));
            }
            if (vm.qmpSocket().isEmpty() && !vm.managedByLibvirt()) {
                findings.add(Finding.degraded("guest " + vm.name(), "has no QMP unix socket on its command line: "
                        + "no KVM statistics or device events from QEMU", "add -qmp unix:/run/qemu/" + vm.name()
                        + ".qmp,server=on,wait=off, or list the socket in the agent's configuration"));
            }
        }
        return findings;
    }

    private Finding schedstat() {
        Path self = config.sampling().procRoot().resolve("self").resolve("schedstat");
        return Files.isReadable(self)
                ? Finding.ok("schedstat", "per-thread run and wait time readable (" + self + ")")
                : Finding.degraded("schedstat", self + " is missing: no vCPU run/wait (steal) time",
                        "use a kernel built with CONFIG_SCHED_INFO (all distribution kernels are)");
    }

    private Finding libvirt() {
        AgentConfig.Libvirt c = config.libvirt();
        if (!LibvirtSource.wanted(c.enabled(), c.uri(), run.resolve("libvirt"))) {
            return Finding.ok("libvirt", "not used: " + (c.enabled().equals("false") ? "disabled in the configuration"
                    : "no libvirt on this host (its library or daemon socket is missing); plain QEMU guests only"));
        }
        LibvirtProbe probe = LibvirtProbe.of(c.uri());
        if (!probe.reachable()) {
            return Finding.degraded("libvirt", probe.detail() + ": no KVM statistics, events or tenants of libvirt's VMs",
                    "start libvirtd (or virtqemud), and let the agent's user use its read-only socket");
        }
        if (!probe.kvmStatistics()) {
            return Finding.degraded("libvirt", probe.detail() + "; no KVM statistics through libvirt (they need "
                    + "libvirt 8.9 and QEMU 7.1 or later): its domains' come from debugfs where readable",
                    "upgrade libvirt and QEMU");
        }
        return Finding.ok("libvirt", probe.detail() + "; KVM statistics, domain events and tenants of its VMs");
    }

    private Finding kernelLog() {
        Path device = config.kmsg().device();
        if (!config.kmsg().enabled()) {
            return Finding.degraded("kmsg", "disabled in the configuration: no IOMMU fault or KVM error alerts",
                    "set kmsg.enabled: true");
        }
        return Files.isReadable(device)
                ? Finding.ok("kmsg", "kernel log readable (" + device + "): IOMMU faults, KVM and machine-check errors")
                : Finding.degraded("kmsg", "cannot read " + device + ": no IOMMU fault or KVM error alerts",
                        "run the agent as root or grant it CAP_SYSLOG");
    }

    private Finding tracepoints() {
        Path kvmEvents = sys.resolve("kernel/tracing/events/kvm");
        if (Files.isDirectory(kvmEvents)) {
            return Finding.ok("tracepoints", "kvm tracepoints available (" + kvmEvents + "): VM exits per reason");
        }
        if (Files.isDirectory(sys.resolve("kernel/tracing/events"))) {
            return Finding.degraded("tracepoints", "tracefs is mounted but has no kvm events: is the kvm module loaded?",
                    "modprobe kvm_intel (or kvm_amd)");
        }
        return Finding.degraded("tracepoints", "tracefs is not mounted at " + sys.resolve("kernel/tracing")
                + ": no VM exits per reason", "mount -t tracefs nodev " + sys.resolve("kernel/tracing"));
    }

    /** Opens the IOMMU fault tracepoint on every CPU as the agent would, and closes it again. */
    private Finding iommuFaults() {
        Path tracefs = sys.resolve("kernel/tracing");
        String intelNote = intelIommu() ? " (this host's Intel VT-d never reports through it: its faults are counted "
                + "from the kernel log)" : "";
        try {
            return Finding.ok("iommu-faults", IommuFaultSource.probe(tracefs, sys) + intelNote);
        } catch (PerfAccessException e) {
            return Finding.degraded("iommu-faults", "cannot count IOMMU faults in the kernel: " + e.getMessage()
                    + "; only the kernel log's rate-limited fault lines are counted",
                    "grant the agent CAP_PERFMON (the packaged unit does), or run it as root");
        } catch (IOException e) {
            String fix;
            if (Files.isDirectory(tracefs) && !canList(tracefs)) {
                fix = "grant the agent CAP_DAC_READ_SEARCH (the packaged unit does), or run it as root";
            } else if (!Files.isDirectory(tracefs.resolve("events"))) {
                fix = "mount -t tracefs nodev " + tracefs;
            } else {
                fix = "use a kernel built with CONFIG_IOMMU_API (all distribution kernels are)";
            }
            return Finding.degraded("iommu-faults", "cannot count IOMMU faults in the kernel: " + e.getMessage()
                    + "; only the kernel log's rate-limited fault lines are counted", fix);
        }
    }

    /** Whether the host's IOMMU is Intel VT-d, whose units sysfs names dmar0, dmar1, … */
    private boolean intelIommu() {
        try (DirectoryStream<Path> units = Files.newDirectoryStream(sys.resolve("class/iommu"), "dmar*")) {
            return units.iterator().hasNext();
        } catch (IOException noIommu) {
            return false;
        }
    }

    private Finding pmu() {
        return Files.isDirectory(sys.resolve("bus/event_source/devices/cpu"))
                ? Finding.ok("perf-hardware", "hardware PMU present: cycles, instructions, cache misses per vCPU")
                : Finding.degraded("perf-hardware", "unsupported: no hardware PMU is exposed to this kernel (typical "
                        + "inside a VM); software counters (task-clock, context switches) only",
                        "on a bare-metal host this is available; in a VM, give it a virtual PMU (e.g. -cpu host,pmu=on)");
    }

    private Finding debugfs() {
        Path kvm = sys.resolve("kernel/debug/kvm");
        if (Files.isReadable(kvm) && Files.isDirectory(kvm)) {
            return Finding.ok("debugfs", "KVM statistics readable in " + kvm + " (used for guests without QMP)");
        }
        Optional<String> lockdown = readFirstLine(sys.resolve("kernel/security/lockdown"))
                .filter(l -> !l.contains("[none]"));
        String why = lockdown.map(l -> "kernel lockdown is on (" + l.strip() + ")")
                .orElse(Files.isDirectory(kvm) ? "not readable by this user" : "debugfs is not mounted, or has no kvm");
        String fix = lockdown.isPresent() || Files.isDirectory(kvm)
                ? "nothing to do if the guests have QMP sockets"
                : "mount -t debugfs none " + sys.resolve("kernel/debug") + " (or give the guests QMP sockets)";
        return Finding.degraded("debugfs", kvm + " unavailable: " + why + "; KVM statistics come from QMP only", fix);
    }

    private Finding collectorTls() {
        AgentConfig.Collector c = config.collector();
        if (c.cert() == null || c.key() == null || c.ca() == null) {
            return Finding.degraded("collector", "no client certificate configured: alerts cannot be shipped",
                    "set collector.cert, collector.key and collector.ca (or try hvwatch on one machine with ./hvwatch demo)");
        }
        List<String> unreadable = new ArrayList<>();
        for (Path p : List.of(c.cert(), c.key(), c.ca())) {
            if (!Files.isReadable(p)) {
                unreadable.add(p.toString());
            }
        }
        return unreadable.isEmpty()
                ? Finding.ok("collector", "certificates readable; alerts go to " + c.address())
                : Finding.blocking("collector", "cannot read " + String.join(", ", unreadable),
                        "check the paths and that the agent's user may read them");
    }

    /** Whether the agent may list the directory; access(2), behind Files.isReadable, ignores its capabilities. */
    private static boolean canList(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return entries != null;
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<String> readFirstLine(Path file) {
        try {
            return Files.readAllLines(file).stream().findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
