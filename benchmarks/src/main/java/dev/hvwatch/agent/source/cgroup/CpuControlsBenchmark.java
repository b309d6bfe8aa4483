package dev.hvwatch.agent.source.cgroup;

import dev.hvwatch.bench.AgentCompilerBenchmark;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;

/**
 * Parsing one VM's CPU controls as the cgroup source does every round for every VM, from texts held in memory (the
 * kernel's reads are not what is measured), with the agent's compiler setting (C1 only): a cgroup v2 VM with a
 * weight, no ceiling and the nine lines of Linux 6's {@code cpu.stat}.
 */
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CpuControlsBenchmark extends AgentCompilerBenchmark {
    private final VmCgroup cgroup = new VmCgroup(Path.of("/sys/fs/cgroup/machine.slice/machine-qemu-1-web.scope"), true);
    private final Map<String, String> files = Map.of(
            "cpu.weight", "100\n",
            "cpu.max", "max 100000\n",
            "cpu.stat", "usage_usec 81234567\nuser_usec 61234567\nsystem_usec 20000000\n"
                    + "core_sched.force_idle_usec 0\nnr_periods 120\nnr_throttled 7\nthrottled_usec 350000\n"
                    + "nr_bursts 0\nburst_usec 0\n");

    @Benchmark
    public CpuControls read() throws IOException {
        return CpuControls.read(cgroup, files::get);
    }
}
