package dev.hvwatch.agent.source.posture;

import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.posture.TcpListeners.Listener;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The host as the checks of one posture run see it: its files under configurable roots, so that a fixture tree can
 * stand in for a host this machine cannot be, and its VMs. Shared readings (online CPUs, listeners of a network
 * namespace) are read once per run. A missing file is an answer (null, or an empty list); a file that exists but
 * cannot be read or parsed is an {@link UnreadableInput} naming it.
 */
public final class HostView {
    /** Where the host's files are: {@code /proc}, {@code /sys}, the cgroup hierarchy and libvirt's status files. */
    public record Roots(Path proc, Path sys, Path cgroup, Path libvirt) {
    }

    private final Roots roots;
    private final List<Guest> guests = new ArrayList<>();
    private final Map<String, List<Listener>> listeners = new HashMap<>();
    private CpuList onlineCpus;
    private Map<String, String> vulnerabilities;

    public HostView(Roots roots, Collection<WatchedVm> vms) {
        this.roots = roots;
        vms.forEach(w -> guests.add(new Guest(this, w)));
    }

    public List<Guest> guests() {
        return guests;
    }

    public Path proc(String relative) {
        return roots.proc().resolve(relative);
    }

    public Path sys(String relative) {
        return roots.sys().resolve(relative);
    }

    Roots roots() {
        return roots;
    }

    /**
     * The file's text without surrounding whitespace, or null when it does not exist. Read in one go through a stream:
     * {@code Files.readString} of a file whose size is 0, as procfs reports, reads one byte and then the rest from
     * offset 1, where the kernel's integer sysctls answer end of file ({@code vm.swappiness} 60 read as "6").
     */
    public String read(Path file) throws UnreadableInput {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UnreadableInput(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** The names in a directory, sorted; empty when it does not exist. */
    public List<String> list(Path dir) throws UnreadableInput {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            entries.forEach(p -> names.add(p.getFileName().toString()));
        } catch (NoSuchFileException | NotDirectoryException e) {
            return names;
        } catch (IOException e) {
            throw new UnreadableInput(dir, "cannot list: " + e.getMessage(), e);
        }
        names.sort(null);
        return names;
    }

    /**
     * The last element of a symbolic link's target, as sysfs names things by links ({@code driver -> …/vfio-pci},
     * {@code iommu_group -> …/12}); null when there is no link.
     */
    public String linkName(Path link) throws UnreadableInput {
        try {
            Path target = Files.readSymbolicLink(link);
            return target.getFileName() == null ? null : target.getFileName().toString();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | UnsupportedOperationException e) {
            throw new UnreadableInput(link, "not a readable symbolic link: " + e.getMessage(), e);
        }
    }

    /** A CPU list file ({@code 0-3,8}), or null when it does not exist. */
    public CpuList cpuList(Path file) throws UnreadableInput {
        String text = read(file);
        try {
            return text == null ? null : CpuList.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UnreadableInput(file, e.getMessage());
        }
    }

    /** The host's online CPUs ({@code /sys/devices/system/cpu/online}). */
    public CpuList onlineCpus() throws UnreadableInput {
        if (onlineCpus == null) {
            Path file = sys("devices/system/cpu/online");
            onlineCpus = cpuList(file);
            if (onlineCpus == null || onlineCpus.isEmpty()) {
                throw new UnreadableInput(file, "missing or empty: the host's CPUs are unknown");
            }
        }
        return onlineCpus;
    }

    /** The CPU and its SMT siblings, which share its core's caches; the CPU alone when the topology is not shown. */
    public CpuList core(int cpu) throws UnreadableInput {
        CpuList siblings = cpuList(sys("devices/system/cpu/cpu" + cpu + "/topology/thread_siblings_list"));
        return siblings != null ? siblings : CpuList.parse(Integer.toString(cpu));
    }

    /** MemTotal of {@code /proc/meminfo}, in bytes. */
    public long memTotalBytes() throws UnreadableInput {
        Path file = proc("meminfo");
        String text = read(file);
        if (text != null) {
            for (String line : text.split("\n")) {
                if (line.startsWith("MemTotal:")) {
                    return ProcStatus.kilobytes(file, line.substring("MemTotal:".length())) * 1024;
                }
            }
        }
        throw new UnreadableInput(file, "no MemTotal line");
    }

    /** The words of the kernel command line ({@code /proc/cmdline}). */
    public List<String> kernelCmdline() throws UnreadableInput {
        String text = read(proc("cmdline"));
        if (text == null) {
            throw new UnreadableInput(proc("cmdline"), "missing");
        }
        return text.isEmpty() ? List.of() : List.of(text.split("\\s+"));
    }

    /** What the kernel says of each CPU flaw ({@code /sys/devices/system/cpu/vulnerabilities/NAME}), by name. */
    public Map<String, String> vulnerabilities() throws UnreadableInput {
        if (vulnerabilities == null) {
            Map<String, String> found = new TreeMap<>();
            Path dir = sys("devices/system/cpu/vulnerabilities");
            for (String name : list(dir)) {
                String status = read(dir.resolve(name));
                if (status != null) {
                    found.put(name, status);
                }
            }
            vulnerabilities = found;
        }
        return vulnerabilities;
    }

    /** A kernel module parameter's value, or null when the module is not loaded or has no such parameter. */
    public String moduleParameter(String module, String parameter) throws UnreadableInput {
        return read(sys("module/" + module + "/parameters/" + parameter));
    }

    /** Whether a boolean module parameter or sysfs switch is on: the kernel shows {@code Y}, {@code 1} or {@code on}. */
    public static boolean isOn(String value) {
        return value != null && (value.equalsIgnoreCase("Y") || value.equals("1") || value.equalsIgnoreCase("on"));
    }

    /**
     * The TCP listeners of the host's (the agent's) network namespace, {@code /proc/net}; shared with the QEMUs in
     * it, whose {@code net/tcp} is the same table (reading it walks the kernel's whole connection hash: {@code cat} of
     * {@code tcp} and {@code tcp6} took 8 ms of CPU on this project's host, 262,144 hash buckets).
     */
    public List<Listener> hostListeners() throws UnreadableInput {
        String namespace = linkName(proc("self/ns/net"));
        return listeners(namespace != null ? namespace : "host", proc("net"));
    }

    /**
     * The TCP listeners of a process's network namespace, read once per run and namespace: QEMUs mostly share the
     * host's, and a busy host's {@code net/tcp} is long.
     */
    public List<Listener> listenersOf(Path pidDir) throws UnreadableInput {
        String namespace = linkName(pidDir.resolve("ns/net"));
        return listeners(namespace != null ? namespace : pidDir.toString(), pidDir.resolve("net"));
    }

    private List<Listener> listeners(String key, Path netDir) throws UnreadableInput {
        List<Listener> known = listeners.get(key);
        if (known == null) {
            known = TcpListeners.read(netDir);
            listeners.put(key, known);
        }
        return known;
    }
}
