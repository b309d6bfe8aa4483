package dev.hvwatch.bench;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.rules.RuleEngine;
import dev.hvwatch.agent.rules.RulePack;
import dev.hvwatch.agent.rules.attribution.Attribution;
import dev.hvwatch.agent.rules.attribution.InterferenceSink;
import dev.hvwatch.agent.source.census.ProcCensus;
import dev.hvwatch.agent.vm.Vm;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One sampling round through the rule engine and the default pack while no vCPU is near a threshold: 16 VMs × 2
 * vCPUs' schedstat readings (each ran 0.99 s and waited 0.01 s of the second) and the TICK that evaluates every rule.
 * With {@code attribution=on} the engine has attribution over the real /proc, as the agent does; {@code off} is the
 * engine without it. The difference is what naming the noisy neighbour costs a round when nothing fires, and
 * {@code -prof gc} says whether it allocates.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AttributionRoundBenchmark {
    private static final long SECOND = 1_000_000_000L;

    @Param({"on", "off"})
    public String attribution;

    private RuleEngine engine;
    private Vm[] vms;
    private long round;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        vms = new Workload(16).vms;
        Attribution a = attribution.equals("on")
                ? new Attribution(new ProcCensus(Path.of("/proc")), Attribution.DEFAULT_INTERVAL,
                        Attribution.DEFAULT_INTERFERENCE_FLOOR, InterferenceSink.NONE)
                : Attribution.off();
        engine = new RuleEngine(RulePack.load(List.of()), new AlertFactory("bench"), alert -> { }, 2, firing -> { },
                a);
        for (Vm vm : vms) {
            engine.onVmStarted(vm);
        }
    }

    @Benchmark
    public void quietRound() {
        long r = ++round;
        long now = r * SECOND;
        for (Vm vm : vms) {
            for (int vcpu = 0; vcpu < 2; vcpu++) {
                engine.onSchedstat(vm, vcpu, now, r * 990_000_000L, r * 10_000_000L, true);
            }
        }
        engine.onTick(now);
    }
}
