package dev.hvwatch.agent.source.discovery;

import dev.hvwatch.agent.vm.Tenancy;
import dev.hvwatch.agent.vm.Vm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds QEMU processes under a proc root and their vCPU threads. A process counts as a QEMU guest when the program
 * name of its argv[0] is a QEMU system emulator; it runs under KVM when one of its fds is {@code /dev/kvm} or a KVM
 * VM descriptor. Verdicts are cached per (pid, start time): a full scan lists {@code /proc} and reads nothing of a
 * process it has settled on but {@code stat} of the QEMUs it watches. A settled pid is looked at again once it has
 * left the listing; the kernel hands out pids in turn up to {@code pid_max} (32768 at least) before reusing one, so
 * a pid that leaves and comes back between two scans one interval apart takes that many forks in one interval. A
 * VM's threads are cached too (see {@link ThreadRoles}).
 *
 * <p>With the kernel's {@link ProcessEvents}, a round looks only at the processes they name (a new program, an end,
 * a thread ended or renamed) and lists {@code /proc} in full only on the first round, every
 * {@value #FULL_SCAN_EVERY} rounds and after reports were lost: a round then costs what the host's processes did,
 * not how many processes it runs, nor a {@code stat} read per watched QEMU. Without them, a process is settled on
 * only once it is {@value #SETTLE_AFTER_TICKS} clock ticks old: one forked by libvirt runs libvirt's code, under
 * libvirt's name, until it executes QEMU, keeping its start time, and a verdict taken in between would hide that
 * guest for good.
 */
public final class ProcDiscovery {
    private static final Logger LOG = LoggerFactory.getLogger(ProcDiscovery.class);
    private static final int LOOKS_BEFORE_CALLING_IT_EMULATED = 5;
    public static final int FULL_SCAN_EVERY = 60;
    /** Ten seconds in USER_HZ, the unit of {@code stat}'s start time: 100 on every architecture the agent runs on. */
    static final long SETTLE_AFTER_TICKS = 1000;
    private static final long TICKS_PER_SECOND = 100;

    private final Path procRoot;
    private final ProcessEvents events;
    private final ProcessEventBatch batch = new ProcessEventBatch();
    private final Map<Long, Look> lastLooks = new HashMap<>();
    /** QEMUs looked at without a verdict yet: looked at again each round. */
    private final Set<Long> pendingQemus = new HashSet<>();
    private final Map<Long, WatchedVm> watched = new HashMap<>();
    private final Map<Long, ThreadRoles> threadRoles = new HashMap<>();
    private int roundsSinceFullScan = FULL_SCAN_EVERY;
    private long nowTicks;

    /** Discovery that lists {@code /proc} every round. */
    public ProcDiscovery(Path procRoot) {
        this(procRoot, null);
    }

    /** Discovery that follows the kernel's process events, when given, between full scans. */
    public ProcDiscovery(Path procRoot, ProcessEvents events) {
        this.procRoot = procRoot;
        this.events = events;
    }

    /** What one scan found changed. */
    public record Changes(List<WatchedVm> started, List<WatchedVm> stopped) {
    }

    /**
     * Discovery of the host's processes under {@code procRoot}, following the kernel's process events when the
     * agent may receive them (the host's own {@code /proc}, its pid namespace, {@code CAP_NET_ADMIN}).
     */
    public static ProcDiscovery ofHost(Path procRoot) {
        if (!procRoot.equals(Path.of("/proc"))) {
            LOG.info("VM discovery lists {} every round (the kernel's process events name pids of /proc)", procRoot);
            return new ProcDiscovery(procRoot);
        }
        try {
            ProcessEvents events = ProcConnectorEvents.open();
            LOG.info("VM discovery follows the kernel's process events, listing /proc every {} rounds",
                    FULL_SCAN_EVERY);
            return new ProcDiscovery(procRoot, events);
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.info("VM discovery lists /proc every round: {}", e.getMessage());
            return new ProcDiscovery(procRoot);
        }
    }

    /** Whether rounds follow the kernel's process events between full scans. */
    public boolean followsProcessEvents() {
        return events != null;
    }

    /** Times the kernel lost process events and a round listed {@code /proc} in full instead. */
    public long eventOverflows() {
        return events == null ? 0 : events.overflows();
    }

    /** Stops the kernel's process events; the sampling thread no longer scans. */
    public void close() {
        if (events != null) {
            events.close();
        }
    }

    public Map<Long, WatchedVm> watched() {
        return watched;
    }

    public Changes scan() throws IOException {
        List<WatchedVm> started = new ArrayList<>();
        List<WatchedVm> stopped = new ArrayList<>();
        if (events == null) {
            nowTicks = uptimeTicks();
            fullScan(started, stopped);
            return new Changes(started, stopped);
        }
        batch.clear();
        boolean complete = events.readInto(batch);
        forget(batch.ended(), stopped);
        forget(batch.execed(), stopped);
        if (!complete) {
            lastLooks.clear(); // a lost report may have been an exec of a process settled on
            pendingQemus.clear();
        }
        if (!complete || ++roundsSinceFullScan >= FULL_SCAN_EVERY) {
            roundsSinceFullScan = 0;
            fullScan(started, stopped);
        } else {
            for (long pid : batch.execed()) {
                lookAt(pid, started, stopped);
            }
            if (!pendingQemus.isEmpty()) {
                for (long pid : List.copyOf(pendingQemus)) {
                    lookAt(pid, started, stopped);
                }
            }
            relistThreads();
        }
        return new Changes(started, stopped);
    }

    private void fullScan(List<WatchedVm> started, List<WatchedVm> stopped) throws IOException {
        Set<Long> listed = new HashSet<>();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(procRoot, ProcFiles::isNumber)) {
            for (Path pidDir : pids) {
                long pid = Long.parseLong(pidDir.getFileName().toString());
                if (lookAt(pid, started, stopped)) {
                    listed.add(pid);
                }
            }
        }
        lastLooks.keySet().retainAll(listed);
        pendingQemus.retainAll(listed);
        threadRoles.keySet().retainAll(listed);
        watched.entrySet().removeIf(e -> {
            boolean gone = !listed.contains(e.getKey());
            if (gone) {
                stopped.add(e.getValue());
            }
            return gone;
        });
    }

    /** Inspects one process; false when it is gone. */
    private boolean lookAt(long pid, List<WatchedVm> started, List<WatchedVm> stopped) throws IOException {
        Path pidDir = procRoot.resolve(Long.toString(pid));
        try {
            inspect(pid, pidDir, started, stopped);
            return true;
        } catch (IOException e) {
            rethrowUnlessGone(pidDir, e);
        } catch (DirectoryIteratorException e) {
            rethrowUnlessGone(pidDir, e.getCause());
        }
        pendingQemus.remove(pid);
        return false;
    }

    /**
     * A process that exits while it is read gives ENOENT, ESRCH ("No such process"), or, for a directory listed as it
     * went away, an unchecked {@link DirectoryIteratorException}: it is simply gone. Any other error is one.
     */
    private static void rethrowUnlessGone(Path pidDir, IOException e) throws IOException {
        if (!(e instanceof NoSuchFileException) && Files.exists(pidDir)) {
            throw e;
        }
    }

    /** Processes that ended or run another program are no longer what they were: a watched one has stopped. */
    private void forget(Set<Long> pids, List<WatchedVm> stopped) {
        for (long pid : pids) {
            lastLooks.remove(pid);
            pendingQemus.remove(pid);
            threadRoles.remove(pid);
            WatchedVm w = watched.remove(pid);
            if (w != null) {
                stopped.add(w);
            }
        }
    }

    /** Between full scans: a VM's threads are listed again when one ended or was renamed, or one may yet be. */
    private void relistThreads() throws IOException {
        for (Map.Entry<Long, WatchedVm> vm : watched.entrySet()) {
            long pid = vm.getKey();
            ThreadRoles roles = threadRoles.get(pid);
            boolean changed = batch.threadsChanged().contains(pid);
            if (!changed && !roles.undecided) {
                continue;
            }
            if (changed) {
                roles.forgetNames(); // a thread renamed since: its role is read again
            }
            Path pidDir = procRoot.resolve(Long.toString(pid));
            try {
                vm.getValue().replaceVcpuThreads(roles.vcpuThreads(pidDir));
            } catch (IOException e) {
                rethrowUnlessGone(pidDir, e); // ended since its last event: its end is in the next round's reports
            } catch (DirectoryIteratorException e) {
                rethrowUnlessGone(pidDir, e.getCause());
            }
        }
    }

    /** Now, in the clock ticks of stat's start times: seconds since boot, from {@code uptime}. */
    private long uptimeTicks() throws IOException {
        String uptime;
        try {
            uptime = Files.readString(procRoot.resolve("uptime"), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return Long.MAX_VALUE; // a fixture tree of processes only: every process is old enough
        }
        int space = uptime.indexOf(' ');
        try {
            return (long) (Double.parseDouble(uptime.substring(0, space < 0 ? uptime.length() : space).strip())
                    * TICKS_PER_SECOND);
        } catch (NumberFormatException e) {
            throw new IOException(procRoot.resolve("uptime") + ": not seconds since boot: " + uptime.strip(), e);
        }
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
            pendingQemus.remove(pid);
            if (events != null || nowTicks - startTicks >= SETTLE_AFTER_TICKS) {
                lastLooks.put(pid, new Look(startTicks, Look.SETTLED));
            }
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
            pendingQemus.add(pid);
            return;
        }
        lastLooks.put(pid, new Look(startTicks, Look.SETTLED));
        pendingQemus.remove(pid);
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
     * and is looked at again for {@value #UNNAMED_LOOKS} listings; a thread named otherwise keeps its role.
     */
    private static final class ThreadRoles {
        /** However steady the count, the threads are listed this often: one that ended and one that began between
         * two rounds leave it as it was. */
        private static final int LIST_AT_LEAST_EVERY = 30;
        /**
         * QEMU names a thread as it starts running, so one still bearing the process's name after this many
         * listings is not a vCPU: QEMU's RCU thread, created before the command line is read, keeps the name for
         * good, as do all threads of a QEMU started without {@code debug-threads=on}; read every round, they made
         * every VM's threads be listed every round (at 43 VMs, most of discovery's 2.7 ms a round).
         */
        private static final int UNNAMED_LOOKS = 3;

        private final long pid;
        private final Map<Long, Integer> roles = new HashMap<>();
        private String processName;
        private long listedThreads = -1;
        /** Listings that found each thread still bearing the process's name. */
        private final Map<Long, Integer> unnamedLooks = new HashMap<>();
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
            unnamedLooks.keySet().retainAll(listed);
            listedThreads = listed.size();
            return threads;
        }

        private int roleOf(long tid, String comm) {
            int role = ProcFiles.vcpuIndex(comm);
            if (tid == pid) {
                processName = comm;
            } else if (role >= 0 || processName != null && !comm.equals(processName)) {
                roles.put(tid, role);
            } else if (unnamedLooks.merge(tid, 1, Integer::sum) >= UNNAMED_LOOKS) {
                roles.put(tid, -1);
            } else {
                undecided = true;
            }
            return role;
        }

        /** Every thread's role is read again at the next listing. */
        void forgetNames() {
            roles.clear();
            unnamedLooks.clear();
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
