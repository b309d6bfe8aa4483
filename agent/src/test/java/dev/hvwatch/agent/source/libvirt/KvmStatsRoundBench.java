package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import dev.hvwatch.agent.source.qmp.QmpSource;
import dev.hvwatch.nativebind.DomainStatsRecords;
import dev.hvwatch.nativebind.Libvirt;
import dev.hvwatch.nativebind.TypedParameters;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.LibvirtGuest;
import dev.hvwatch.testkit.Libvirtd;
import dev.hvwatch.testkit.QemuGuest;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import jnr.ffi.Pointer;
import jnr.ffi.byref.PointerByReference;

/**
 * What one round of KVM statistics costs, through libvirt's bulk call and through QMP, for {@code bench/kvm-stats.sh}:
 * N idle guests run as libvirt domains, then as plain QEMU guests with QMP sockets; each path reads every guest's KVM
 * statistics once a second for the window. Reported per round: wall time, this thread's CPU, and the CPU the other
 * side spent answering — libvirtd's, and the QEMU processes' (their monitors answer both paths) — read from
 * {@code /proc/PID/stat}.
 */
public final class KvmStatsRoundBench {
    private static final int STATS = Libvirt.STATS_STATE | Libvirt.STATS_CPU_TOTAL | Libvirt.STATS_BALLOON
            | Libvirt.STATS_VCPU | Libvirt.STATS_INTERFACE | Libvirt.STATS_BLOCK | Libvirt.STATS_VM;
    private static final int FLAGS = Libvirt.GET_ALL_DOMAINS_STATS_ACTIVE | Libvirt.GET_ALL_DOMAINS_STATS_NOWAIT;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final long TICK_NANOS = 10_000_000L; // USER_HZ 100

    private KvmStatsRoundBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: KvmStatsRoundBench GUESTS ROUNDS");
            System.exit(2);
        }
        int guests = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        Libvirtd.start();
        System.out.printf(Locale.ROOT, "%d idle guests, %d rounds of 1 s after the guests settled and 5 warm-up rounds; "
                + "libvirtd's and QEMU's CPU per round above what they spent in an idle second paired with each round%n",
                guests, rounds);
        System.out.println("path     wall p50 ms  wall p90 ms  hvwatch CPU ms  libvirtd CPU ms  QEMU CPU ms  total ms"
                + "  (QEMU idle ms/s)");
        report("libvirt", libvirtRounds(guests, rounds));
        report("qmp", qmpRounds(guests, rounds));
    }

    /** Per round: wall; over all rounds: our CPU, libvirtd's and the QEMUs' CPU above idle, the QEMUs' idle CPU. */
    private record Costs(long[] wall, long ourCpu, long libvirtdCpu, long qemuCpu, long qemuIdleCpu, int rounds) {
    }

    private static Costs libvirtRounds(int n, int rounds) throws Exception {
        List<LibvirtGuest> domains = new ArrayList<>();
        String prefix = "hvw-bench-" + UUID.randomUUID().toString().substring(0, 6) + "-";
        try {
            for (int i = 0; i < n; i++) {
                domains.add(LibvirtGuest.builder().name(prefix + i).program(GuestProgram.IDLE).start());
            }
            List<Long> pids = new ArrayList<>();
            for (LibvirtGuest d : domains) {
                d.awaitVcpuThreads(Duration.ofSeconds(60));
                pids.add(d.pid());
            }
            Libvirt libvirt = LibvirtLibrary.load();
            Pointer conn = libvirt.virConnectOpenReadOnly(Libvirtd.URI);
            LibvirtCounters counters = new LibvirtCounters();
            RecordDecoder decoder = new RecordDecoder(counters);
            List<DomainStats> known = new ArrayList<>();
            PointerByReference list = new PointerByReference();
            DomainStatsRecords records = new DomainStatsRecords(Libvirt.runtime().addressSize());
            TypedParameters params = new TypedParameters();
            long daemon = daemonPid();
            Runnable round = () -> {
                int count = libvirt.virConnectGetAllDomainStats(conn, STATS, list, FLAGS);
                records.reset(list.getValue(), count);
                for (int i = 0; i < count; i++) {
                    while (known.size() <= i) {
                        known.add(new DomainStats(new Vm(i, 0, "d" + i, "", 1, java.util.Optional.empty(), true,
                                List.of()), 0, i, counters));
                    }
                    decoder.decode(known.get(i), params.reset(records.params(i), records.paramCount(i)), 0);
                }
                libvirt.virDomainStatsRecordListFree(list.getValue());
            };
            try {
                return measure(round, rounds, daemon, pids);
            } finally {
                libvirt.virConnectClose(conn);
            }
        } finally {
            domains.forEach(LibvirtGuest::close);
        }
    }

    private static Costs qmpRounds(int n, int rounds) throws Exception {
        List<QemuGuest> guests = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                guests.add(QemuGuest.builder().name("bench-qmp-" + i).program(GuestProgram.IDLE).qmpSocket(true)
                        .start());
            }
            List<Long> pids = new ArrayList<>();
            for (QemuGuest g : guests) {
                g.awaitVcpuThreads(Duration.ofSeconds(60));
                pids.add(g.pid());
            }
            try (EventRing ring = new EventRing(1 << 16)) {
                DiscoverySource discovery = new DiscoverySource(new ProcDiscovery(Path.of("/proc")), ring);
                discovery.sample(nanos());
                List<WatchedVm> mine = discovery.watched().stream().filter(w -> pids.contains(w.vm().pid())).toList();
                try (QmpSource qmp = new QmpSource(() -> mine, ring, new KvmStatSeries(), Path.of("/proc"), List.of(),
                        Duration.ofSeconds(2))) {
                    return measure(() -> qmp.sample(nanos()), rounds, -1, pids);
                }
            }
        } finally {
            guests.forEach(QemuGuest::close);
        }
    }

    private static Costs measure(Runnable round, int rounds, long daemon, List<Long> qemus) throws Exception {
        settle(qemus);
        for (int i = 0; i < 5; i++) {
            round.run();
            Thread.sleep(1000);
        }
        // The guests' own CPU (timers, halts) dwarfs a monitor's answer at 40 guests and drifts for minutes after
        // boot: each round's second is paired with an idle second just before it, so the drift cancels.
        long[] wall = new long[rounds];
        long ourCpu = 0;
        long daemonActive = 0;
        long daemonIdle = 0;
        long qemuActive = 0;
        long qemuIdle = 0;
        for (int i = 0; i < rounds; i++) {
            long d0 = daemon > 0 ? cpuNanos(daemon) : 0;
            long q0 = sumCpu(qemus);
            Thread.sleep(1000);
            long d1 = daemon > 0 ? cpuNanos(daemon) : 0;
            long q1 = sumCpu(qemus);
            long cpu0 = THREADS.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            round.run();
            wall[i] = System.nanoTime() - t0;
            ourCpu += THREADS.getCurrentThreadCpuTime() - cpu0;
            Thread.sleep(Math.max(0, 1000 - wall[i] / 1_000_000));
            daemonIdle += d1 - d0;
            daemonActive += (daemon > 0 ? cpuNanos(daemon) : 0) - d1;
            qemuIdle += q1 - q0;
            qemuActive += sumCpu(qemus) - q1;
        }
        return new Costs(wall, ourCpu, daemonActive - daemonIdle, qemuActive - qemuIdle, qemuIdle, rounds);
    }

    /**
     * Waits until the guests have booted: freshly started QEMUs spend seconds of CPU in their firmware, which would be
     * counted against whichever path is measured first. Settled: two 2-second windows in a row within 10 % of each
     * other, or 120 s.
     */
    private static void settle(List<Long> qemus) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        long previous = Long.MAX_VALUE;
        while (System.nanoTime() < deadline) {
            long before = sumCpu(qemus);
            Thread.sleep(2000);
            long spent = sumCpu(qemus) - before;
            if (Math.abs(spent - previous) <= previous / 10) {
                return;
            }
            previous = spent;
        }
    }

    private static void report(String path, Costs c) {
        long[] sorted = c.wall().clone();
        Arrays.sort(sorted);
        double p50 = sorted[sorted.length / 2] / 1e6;
        double p90 = sorted[(int) (sorted.length * 0.9)] / 1e6;
        double ours = c.ourCpu() / 1e6 / c.rounds();
        double daemon = c.libvirtdCpu() / 1e6 / c.rounds();
        double qemu = c.qemuCpu() / 1e6 / c.rounds();
        double qemuIdle = c.qemuIdleCpu() / 1e6 / c.rounds();
        System.out.printf(Locale.ROOT, "%-8s %11.2f  %11.2f  %14.2f  %15.2f  %11.2f  %8.2f  (%.2f)%n", path, p50, p90,
                ours, daemon, qemu, ours + daemon + qemu, qemuIdle);
    }

    private static long daemonPid() throws IOException {
        try (var procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    return Files.readString(p.resolve("comm")).strip().equals("libvirtd");
                } catch (IOException gone) {
                    return false;
                }
            }).mapToLong(p -> Long.parseLong(p.getFileName().toString())).findFirst()
                    .orElseThrow(() -> new IllegalStateException("libvirtd is not running"));
        }
    }

    private static long sumCpu(List<Long> pids) throws IOException {
        long sum = 0;
        for (long pid : pids) {
            sum += cpuNanos(pid);
        }
        return sum;
    }

    /** utime + stime of a process (fields 14 and 15 of /proc/PID/stat, after the command name). */
    private static long cpuNanos(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NANOS;
    }

    private static long nanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
