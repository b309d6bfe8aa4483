package dev.hvwatch.agent.source.discovery;

import dev.hvwatch.agent.vm.Tenancy;
import dev.hvwatch.agent.vm.Vm;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds QEMU processes under a proc root and their vCPU threads. A process counts as a QEMU guest when the program
 * name of its argv[0] is a QEMU system emulator; it runs under KVM when one of its fds is {@code /dev/kvm} or a KVM
 * VM descriptor. Verdicts are cached per (pid, start time): a scan lists {@code /proc} and reads nothing of a
 * process it has settled on but {@code stat} of the QEMUs it watches, so a round costs a directory listing however
 * many processes the host runs. A settled pid is looked at again once it has left the listing; the kernel hands out
 * pids in turn up to {@code pid_max} (32768 at least) before reusing one, so a pid that leaves and comes back between
 * two scans one interval apart takes that many forks in one interval. A VM's threads are cached too (see
 * {@link ThreadRoles}).
 */
public final class ProcDiscovery {
    private static final int LOOKS_BEFORE_CALLING_IT_EMULATED = 5;

    private final Path procRoot;
    private final Map<Long, Look> lastLooks = new HashMap<>();
    private final Map<Long, WatchedVm> watched = new HashMap<>();
    private final Map<Long, ThreadRoles> threadRoles = new HashMap<>();

    public ProcDiscovery(Path procRoot) {
        this.procRoot = procRoot;
    }

    /** What one scan found changed. */
    public record Changes(List<WatchedVm> started, List<WatchedVm> stopped) {
    }

    public Map<Long, WatchedVm> watched() {
        return watched;
    }

    public Changes scan() throws IOException {
        Set<Long> listed = new HashSet<>();
        List<WatchedVm> started = new ArrayList<>();
        List<WatchedVm> stopped = new ArrayList<>();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(procRoot, ProcFiles::isNumber)) {
            for (Path pidDir : pids) {
                long pid = Long.parseLong(pidDir.getFileName().toString());
                try {
                    inspect(pid, pidDir, started, stopped);
                    listed.add(pid);
                } catch (NoSuchFileException e) {
                    // The process exited between listing and reading: it is simply gone.
                } catch (IOException e) {
                    // Reading a process that is exiting can also give ESRCH ("No such process").
                    if (Files.exists(pidDir)) {
                        throw e;
                    }
                } catch (DirectoryIteratorException e) {
                    // Its fd or task directory went away while listed (NIO reports that unchecked): the same.
                    if (Files.exists(pidDir)) {
                        throw e.getCause();
                    }
                }
            }
        }
        lastLooks.keySet().retainAll(listed);
        threadRoles.keySet().retainAll(listed);
        watched.entrySet().removeIf(e -> {
            boolean gone = !listed.contains(e.getKey());
            if (gone) {
                stopped.add(e.getValue());
            }
            return gone;
        });
        return new Changes(started, stopped);
    }

    private void inspect(long pid, Path pidDir, List<WatchedVm> started, List<WatchedVm> stopped) throws IOException {
        Look settled = lastLooks.get(pid);
        if (settled != null && settled.settled() && !watched.containsKey(pid)) {
            return;
        }
        ProcFiles.Stat stat = ProcFiles.stat(pidDir);
        long startTicks = stat.startTicks();
        Look known = lastLooks.get(pid);
        boolean sameProcess = known != null && known.startTicks == startTicks;
        if (sameProcess && known.settled()) {
            WatchedVm w = watched.get(pid);
            ThreadRoles roles = threadRoles.get(pid);
            if (w != null && roles.mayHaveChanged(stat.threads())) {
                w.replaceVcpuThreads(roles.vcpuThreads(pidDir));
            }
            return;
        }
        if (!sameProcess) {
            WatchedVm previous = watched.remove(pid);
            threadRoles.remove(pid);
            if (previous != null) {
                stopped.add(previous); // the pid now belongs to a new process
            }
        }
        List<String> argv = ProcFiles.cmdline(pidDir);
        if (argv.isEmpty() || !looksLikeQemu(argv.get(0))) {
            lastLooks.put(pid, new Look(startTicks, Look.SETTLED));
            return;
        }
        boolean kvm = holdsKvm(pidDir);
        ThreadRoles roles = new ThreadRoles(pid);
        Map<Integer, Long> vcpus = roles.vcpuThreads(pidDir);
        // QEMU opens /dev/kvm before it creates vCPU threads, but a starved QEMU may take seconds to get there:
        // call it emulated (TCG) only once its vCPU threads exist, or after a few looks for QEMUs that do not name them.
        int looks = sameProcess ? known.looks() + 1 : 1;
        if (!kvm && vcpus.isEmpty() && looks < LOOKS_BEFORE_CALLING_IT_EMULATED) {
            lastLooks.put(pid, new Look(startTicks, looks));
            return;
        }
        lastLooks.put(pid, new Look(startTicks, Look.SETTLED));
        QemuCommandLine cmd = QemuCommandLine.parse(argv);
        Vm vm = new Vm(pid, startTicks, cmd.name() != null ? cmd.name() : "qemu-" + pid,
                cmd.uuid() != null ? cmd.uuid() : "", cmd.vcpus(), cmd.qmpSocket(), kvm,
                List.copyOf(CommandLineRedaction.redact(argv)), cmd.libvirtMonitor() ? Vm.LIBVIRT : Vm.QEMU,
                new Tenancy());
        WatchedVm w = new WatchedVm(vm);
        w.replaceVcpuThreads(vcpus);
        watched.put(pid, w);
        threadRoles.put(pid, roles);
        started.add(w);
    }

    /** The system emulators and the RHEL/Debian KVM wrappers; qemu-img, qemu-nbd and qemu-ga run no guest. */
    private static boolean looksLikeQemu(String argv0) {
        String program = argv0.substring(argv0.lastIndexOf('/') + 1);
        return program.startsWith("qemu-system-") || program.equals("qemu-kvm") || program.equals("kvm");
    }

    private static boolean holdsKvm(Path pidDir) throws IOException {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(pidDir.resolve("fd"))) {
            for (Path fd : fds) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed while we looked
                }
                if (target.equals("/dev/kvm") || target.startsWith("anon_inode:kvm-vm")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Which of a QEMU's threads are its vCPUs, remembered per thread id so that a round reads the {@code comm} of new
     * threads only. QEMU names a thread from inside it, just after creating it: a thread still bearing the process's
     * own name (its main thread's, read each round, since {@code -name process=} renames it) may yet become a vCPU
     * and is looked at again each round; a thread named otherwise keeps its role.
     */
    private static final class ThreadRoles {
        /** However steady the count, the threads are listed this often: one that ended and one that began between
         * two rounds leave it as it was. */
        private static final int LIST_AT_LEAST_EVERY = 30;

        private final long pid;
        private final Map<Long, Integer> roles = new HashMap<>();
        private String processName;
        private long listedThreads = -1;
        private boolean undecided;
        private int roundsSinceListing;

        ThreadRoles(long pid) {
            this.pid = pid;
        }

        /**
         * Whether the threads must be listed again this round: the count in the process's {@code stat} (read each
         * round anyway) changed, a thread may yet be named a vCPU, or the last listing is {@link #LIST_AT_LEAST_EVERY}
         * rounds old. An idle QEMU's thread list then costs nothing most rounds: at 43 VMs the listings were an
         * eighth of the sampling thread's time.
         */
        boolean mayHaveChanged(long threads) {
            return threads != listedThreads || undecided || ++roundsSinceListing >= LIST_AT_LEAST_EVERY;
        }

        Map<Integer, Long> vcpuThreads(Path pidDir) throws IOException {
            roundsSinceListing = 0;
            undecided = false;
            Map<Integer, Long> threads = new HashMap<>();
            Set<Long> listed = new HashSet<>();
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(pidDir.resolve("task"))) {
                for (Path task : tasks) {
                    long tid = Long.parseLong(task.getFileName().toString());
                    listed.add(tid);
                    Integer role = roles.get(tid);
                    if (role == null) {
                        try {
                            role = roleOf(tid, ProcFiles.comm(task));
                        } catch (NoSuchFileException e) {
                            continue;
                        } catch (IOException e) {
                            // A thread that ends between listing and reading answers ESRCH: QEMU's worker threads
                            // come and go, and one of them must not fail the round.
                            if (Files.exists(task)) {
                                throw e;
                            }
                            continue;
                        }
                    }
                    if (role >= 0) {
                        threads.put(role, tid);
                    }
                }
            }
            roles.keySet().retainAll(listed);
            listedThreads = listed.size();
            return threads;
        }

        private int roleOf(long tid, String comm) {
            int role = ProcFiles.vcpuIndex(comm);
            if (tid == pid) {
                processName = comm;
            } else if (role >= 0 || processName != null && !comm.equals(processName)) {
                roles.put(tid, role);
            } else {
                undecided = true;
            }
            return role;
        }
    }

    /** A cached look at one process: settled, or a QEMU looked at {@code looks} times without a verdict yet. */
    private record Look(long startTicks, int looks) {
        static final int SETTLED = -1;

        boolean settled() {
            return looks == SETTLED;
        }
    }
}
