package dev.hvwatch.agent.source.census;

import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.census.CpuCensus.ProcessTime;
import dev.hvwatch.agent.source.census.CpuCensus.VcpuTime;
import dev.hvwatch.agent.source.discovery.ProcFiles;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.schedstat.Schedstat;
import dev.hvwatch.agent.source.schedstat.SchedstatFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link CpuCensus} from a proc root: {@code stat} for each CPU's busy time, {@code PID/stat} of every process
 * (name, CPU time), and for each watched VM its vCPU threads' {@code schedstat} and affinities. A process's
 * {@code Cpus_allowed_list} is read only when it took CPU since the previous census (or is a VM's QEMU), so a census
 * of a host with thousands of sleeping processes reads one file for most of them: about what discovery reads every
 * round, here only while a rule asks. A process that ends while it is read is left out; a file that cannot be parsed
 * is counted ({@link #errors}) and left out.
 */
public final class ProcCensus implements CensusTaker {
    private static final Logger LOG = LoggerFactory.getLogger(ProcCensus.class);
    /**
     * /proc's clock tick is USER_HZ, which the kernel fixes at 100 on the architectures KVM hosts run (x86, arm64,
     * s390, ppc): {@code sysconf(_SC_CLK_TCK)}.
     */
    static final long NANOS_PER_TICK = 10_000_000L;
    private static final String VHOST = "vhost-";
    private static final String ALLOWED = "Cpus_allowed_list:";
    private static final String STATE = "State:\t";

    private final Path procRoot;
    private final LongAdder errors = new LongAdder();
    private final Schedstat reading = new Schedstat();
    /** The previous census's processes by pid: whose CPU time grew, and the affinities read then. */
    private Map<Long, ProcessTime> previous = Map.of();
    /** The previous census's vCPU threads by tid, for the wait schedstat does not show yet ({@link Waiting}). */
    private Map<Long, Waiting> waiting = Map.of();
    private Map<Long, Waiting> nextWaiting;

    public ProcCensus(Path procRoot) {
        this.procRoot = procRoot;
    }

    /** Files read but not understood, since start. */
    public long errors() {
        return errors.sum();
    }

    @Override
    public CpuCensus take(long timeNanos, Collection<Vm> vms) throws IOException {
        nextWaiting = new HashMap<>();
        long[] busy = busyByCpu(procRoot.resolve("stat"));
        Map<Long, Vm> vmByPid = new HashMap<>();
        vms.forEach(vm -> vmByPid.put(vm.pid(), vm));
        List<VcpuTime> vcpus = new ArrayList<>();
        List<ProcessTime> processes = new ArrayList<>();
        Map<Long, ProcessTime> byPid = new HashMap<>();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(procRoot, ProcFiles::isNumber)) {
            for (Path dir : pids) {
                long pid = Long.parseLong(dir.getFileName().toString());
                try {
                    ProcessTime p = process(pid, dir, vmByPid, vcpus, timeNanos);
                    if (p != null) {
                        processes.add(p);
                        byPid.put(pid, p);
                    }
                } catch (NoSuchFileException ended) {
                    // it ended between listing and reading: it takes no more CPU
                } catch (IOException e) {
                    if (Files.exists(dir)) {
                        unreadable(dir, e.getMessage());
                    }
                }
            }
        }
        previous = byPid;
        waiting = nextWaiting;
        return new CpuCensus(timeNanos, busy, vcpus, processes);
    }

    private ProcessTime process(long pid, Path dir, Map<Long, Vm> vmByPid, List<VcpuTime> vcpus, long timeNanos)
            throws IOException {
        byte[] stat = Files.readAllBytes(dir.resolve("stat"));
        Stat s = Stat.parse(stat);
        if (s == null) {
            unreadable(dir.resolve("stat"), "not a process stat line");
            return null;
        }
        Vm vm = vmByPid.get(pid);
        boolean qemu = vm != null && vm.startTicks() == s.startTicks;
        if (!qemu) {
            vm = s.name.startsWith(VHOST) ? vhostOwner(s.name, vmByPid) : null;
        }
        ProcessTime before = previous.get(pid);
        boolean sameProcess = before != null && before.startTicks() == s.startTicks;
        CpuList allowed;
        if (qemu || (sameProcess && s.cpuNanos > before.cpuNanos())) {
            allowed = allowedCpus(dir.resolve("status"));
        } else {
            allowed = sameProcess ? before.allowed() : null;
        }
        if (qemu) {
            vcpuThreads(vm, dir.resolve("task"), vcpus, timeNanos);
        }
        return new ProcessTime(pid, s.startTicks, s.name, s.cpuNanos, vm, allowed);
    }

    /** {@code vhost-PID} kernel threads move a VM's virtio queues for the QEMU of that pid. */
    private static Vm vhostOwner(String name, Map<Long, Vm> vmByPid) {
        String digits = name.substring(VHOST.length());
        return ProcFiles.isNumber(digits) && digits.length() < 19 ? vmByPid.get(Long.parseLong(digits)) : null;
    }

    private void vcpuThreads(Vm vm, Path tasks, List<VcpuTime> out, long timeNanos) throws IOException {
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks, ProcFiles::isNumber)) {
            for (Path task : threads) {
                try {
                    int vcpu = ProcFiles.vcpuIndex(ProcFiles.comm(task));
                    if (vcpu < 0) {
                        continue;
                    }
                    long[] times = schedstat(task.resolve("schedstat"));
                    String status = Files.readString(task.resolve("status"), StandardCharsets.ISO_8859_1);
                    CpuList allowed = allowedCpus(status, task.resolve("status"));
                    if (times != null) {
                        long tid = Long.parseLong(task.getFileName().toString());
                        long pending = pendingWait(vm, tid, times, runnable(status), timeNanos);
                        out.add(new VcpuTime(vm, vcpu, tid, times[0], times[1] + pending, allowed));
                    }
                } catch (NoSuchFileException ended) {
                    // the thread ended
                } catch (IOException e) {
                    // A thread that ends between open and read answers ESRCH, not ENOENT: only a thread still
                    // there is a file not understood. Either way its VM's other threads still count.
                    if (Files.exists(task)) {
                        unreadable(task, e.getMessage());
                    }
                }
            }
        } catch (DirectoryIteratorException e) {
            // QEMU starts and ends worker threads at will: the threads listed so far are as good as a full list
            LOG.debug("census: {} changed while listed: {}", tasks, e.getCause().toString());
        }
    }

    /**
     * The wait of a vCPU thread that schedstat does not show yet: the kernel adds a wait to it only when the thread
     * gets a CPU, so a vCPU starved outright shows none for as long as its starvation lasts. A thread that was
     * runnable at the previous census and has not run since (the same timeslices and run time: a thread on a CPU
     * has its run time advanced at every scheduler tick) has waited since then, on top of what it had pending then.
     * (The rules meet the same kernel behaviour in per-round shares, where {@code WaitShare} instead holds back an
     * interval with no news from a runnable thread; a census needs the cumulative wait at its own moment.)
     */
    private long pendingWait(Vm vm, long tid, long[] times, boolean runnable, long timeNanos) {
        Waiting before = waiting.get(tid);
        long pending = before != null && before.vm() == vm && before.runnable() && before.runNanos() == times[0]
                && before.timeslices() == times[2] ? before.pendingNanos() + (timeNanos - before.timeNanos()) : 0;
        nextWaiting.put(tid, new Waiting(vm, times[0], times[2], runnable, pending, timeNanos));
        return pending;
    }

    /** A vCPU thread as a census saw it, for the next census's {@link #pendingWait}. */
    private record Waiting(Vm vm, long runNanos, long timeslices, boolean runnable, long pendingNanos,
                           long timeNanos) {
    }

    /** Whether a thread's status file says it is runnable ({@code State: R}: on a CPU or waiting for one). */
    private static boolean runnable(String status) {
        int at = status.indexOf(STATE);
        return at >= 0 && status.startsWith("R", at + STATE.length());
    }

    /** {@code schedstat}: run and wait nanoseconds and timeslices; null (counted) when malformed. */
    private long[] schedstat(Path file) throws IOException {
        byte[] text = Files.readAllBytes(file);
        try {
            reading.parse(text, text.length, file.toString());
            return new long[] {reading.runNanos(), reading.waitNanos(), reading.timeslices()};
        } catch (SchedstatFormatException e) {
            unreadable(file, e.getMessage());
            return null;
        }
    }

    /** The {@code Cpus_allowed_list} of a status file; null (counted) when it has none or it is malformed. */
    private CpuList allowedCpus(Path status) throws IOException {
        return allowedCpus(Files.readString(status, StandardCharsets.ISO_8859_1), status);
    }

    private CpuList allowedCpus(String text, Path status) {
        int at = text.indexOf(ALLOWED);
        if (at >= 0) {
            int end = text.indexOf('\n', at);
            String list = text.substring(at + ALLOWED.length(), end < 0 ? text.length() : end);
            try {
                return CpuList.parse(list);
            } catch (IllegalArgumentException e) {
                unreadable(status, e.getMessage());
                return null;
            }
        }
        unreadable(status, "no " + ALLOWED + " line");
        return null;
    }

    /** Per CPU, user + nice + system + irq + softirq of {@code /proc/stat}'s {@code cpuN} lines, in nanoseconds. */
    static long[] busyByCpu(Path stat) throws IOException {
        long[] busy = new long[0];
        for (String line : Files.readAllLines(stat, StandardCharsets.US_ASCII)) {
            if (!line.startsWith("cpu") || line.length() < 4 || !Character.isDigit(line.charAt(3))) {
                continue;
            }
            String[] f = line.split("\\s+");
            try {
                int cpu = Integer.parseInt(f[0].substring(3));
                long ticks = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
                        + Long.parseLong(f[6]) + Long.parseLong(f[7]);
                if (cpu >= busy.length) {
                    busy = Arrays.copyOf(busy, cpu + 1);
                }
                busy[cpu] = ticks * NANOS_PER_TICK;
            } catch (RuntimeException e) {
                throw new IOException(stat + ": not a 'cpuN user nice system idle iowait irq softirq …' line: "
                        + line, e);
            }
        }
        if (busy.length == 0) {
            throw new IOException(stat + ": no cpuN lines");
        }
        return busy;
    }

    private void unreadable(Path file, String why) {
        errors.increment();
        LOG.debug("census: {}: {}", file, why);
    }

    /**
     * The fields of {@code PID/stat} a census needs. The command name (field 2) is between the first '(' and the
     * last ')', and may hold spaces and parentheses of its own: fields 3 on are counted from the last ')'.
     */
    private record Stat(String name, long cpuNanos, long startTicks) {
        static Stat parse(byte[] line) {
            int open = -1;
            int close = -1;
            for (int i = 0; i < line.length; i++) {
                if (line[i] == '(' && open < 0) {
                    open = i;
                } else if (line[i] == ')') {
                    close = i;
                }
            }
            if (open < 0 || close < open || close + 2 >= line.length) {
                return null;
            }
            String[] rest = new String(line, close + 2, line.length - close - 2, StandardCharsets.US_ASCII).strip()
                    .split(" ");
            // rest[0] is field 3 (state): utime is field 14, stime 15, starttime 22
            if (rest.length < 20) {
                return null;
            }
            try {
                long ticks = Long.parseLong(rest[11]) + Long.parseLong(rest[12]);
                return new Stat(ProcessName.clean(line, open + 1, close - open - 1), ticks * NANOS_PER_TICK,
                        Long.parseLong(rest[19]));
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }
}
