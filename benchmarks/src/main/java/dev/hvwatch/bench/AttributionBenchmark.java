package dev.hvwatch.bench;

import dev.hvwatch.agent.rules.attribution.Attribution;
import dev.hvwatch.agent.rules.attribution.Explanation;
import dev.hvwatch.agent.rules.attribution.InterferenceSink;
import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.census.CensusTaker;
import dev.hvwatch.agent.source.census.CpuCensus;
import dev.hvwatch.agent.source.census.CpuCensus.ProcessTime;
import dev.hvwatch.agent.source.census.CpuCensus.VcpuTime;
import dev.hvwatch.agent.source.census.ProcCensus;
import dev.hvwatch.agent.vm.Vm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What naming the noisy neighbour costs when it runs, on the benchmark's own thread (so that {@code -prof gc} gives
 * its allocation per op); {@link AttributionRoundBenchmark} measures what it costs when it does not.
 * <ul>
 * <li>{@link #explain}: an alert fires: the census then (scripted, so only the computing counts), the interval it
 * closes divided among every waiting vCPU, and the explanation against the census a rule window before; 16 VMs × 2
 * vCPUs and 400 host processes;
 * <li>{@link #census}: one census of this machine's real /proc.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AttributionBenchmark {
    private static final long SECOND = 1_000_000_000L;
    private static final int VMS = 16;
    private static final int HOST_PROCESSES = 400;

    private Alternating host;
    private List<Vm> vms;
    private ProcCensus proc;

    @Setup(Level.Trial)
    public void setUp() {
        Workload work = new Workload(VMS);
        vms = Arrays.asList(work.vms);
        host = new Alternating(work.vms);
        proc = new ProcCensus(Path.of("/proc"));
    }

    /** Armed 10 s before, it fires now: two censuses, one interval, one explanation. */
    @Benchmark
    public Explanation explain() {
        Attribution a = new Attribution(host, Attribution.DEFAULT_INTERVAL, Attribution.DEFAULT_INTERFERENCE_FLOOR,
                InterferenceSink.NONE);
        a.configure(10 * SECOND, List.of());
        a.arm(10 * SECOND);
        a.onTick(10 * SECOND, vms);
        return a.explain(vms.get(0), 0, 10 * SECOND, 20 * SECOND, vms);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void census(Blackhole bh) throws IOException {
        bh.consume(proc.take(0, List.of()));
    }

    /**
     * Censuses of a busy host, prepared once: vm-0's vCPUs wait on CPU 0 while every other VM, on CPUs 0-1, runs,
     * and 400 host processes run a little; successive calls advance every cumulative time.
     */
    private static final class Alternating implements CensusTaker {
        private final CpuCensus[] censuses = new CpuCensus[2];
        private int next;

        Alternating(Vm[] vms) {
            for (int k = 0; k < 2; k++) {
                long t = (k + 1) * 10L;
                List<VcpuTime> vcpus = new ArrayList<>();
                for (Vm vm : vms) {
                    for (int vcpu = 0; vcpu < 2; vcpu++) {
                        boolean isVictim = vm == vms[0];
                        vcpus.add(new VcpuTime(vm, vcpu, vm.pid() * 10 + vcpu, t * (isVictim ? 1 : 5) * 100_000_000L,
                                isVictim ? t * 900_000_000L : 0, CpuList.parse(isVictim ? "0" : "0-1")));
                    }
                }
                List<ProcessTime> processes = new ArrayList<>();
                for (Vm vm : vms) {
                    processes.add(new ProcessTime(vm.pid(), 1, "qemu-system-x86", t * 1_100_000_000L, vm,
                            CpuList.parse("0-1")));
                }
                for (int p = 0; p < HOST_PROCESSES; p++) {
                    processes.add(new ProcessTime(100 + p, 1, "proc-" + (p % 40), t * 1_000_000L * (p % 5), null,
                            CpuList.parse(p % 2 == 0 ? "0" : "0-1")));
                }
                censuses[k] = new CpuCensus(t * SECOND, new long[] {t * SECOND, t * SECOND}, vcpus, processes);
            }
        }

        @Override
        public CpuCensus take(long timeNanos, Collection<Vm> vms) {
            CpuCensus c = censuses[next];
            next = 1 - next;
            return new CpuCensus(timeNanos, c.busyNanos(), c.vcpus(), c.processes());
        }
    }
}
