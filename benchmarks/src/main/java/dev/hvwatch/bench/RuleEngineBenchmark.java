package dev.hvwatch.bench;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.rules.RuleEngine;
import dev.hvwatch.agent.rules.RulePack;
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
 * The rule engine on the benchmark's own thread, so that {@code -prof gc} attributes its allocation per event to
 * this thread: the figure for "zero allocation per event".
 * One op is one event: sampled series, vCPU schedstat readings and, every 512 events, a TICK evaluating all rules.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RuleEngineBenchmark {
    private Replay replay;
    private long n;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        RuleEngine engine = new RuleEngine(RulePack.load(List.of()), new AlertFactory("bench"), a -> { }, 2);
        replay = new Replay(engine, new Workload(16));
    }

    @Benchmark
    public void event(Blackhole bh) {
        replay.next(n++);
        bh.consume(n);
    }

    /** The events of {@link RingBenchmark}, plus vCPU schedstat readings, fed straight to the engine. */
    static final class Replay {
        private final RuleEngine engine;
        private final Workload work;

        Replay(RuleEngine engine, Workload work) {
            this.engine = engine;
            this.work = work;
        }

        void next(long i) {
            long now = 1_000_000_000L * (i / 512);
            if ((i & 511) == 511) {
                engine.onTick(now);
                return;
            }
            int vm = (int) (i % work.vms.length);
            if ((i & 63) == 7) {
                engine.onSchedstat(work.vms[vm], (int) (i & 1), now, i * 1000, i * 10, true);
                return;
            }
            int s = (int) ((i >>> 4) % Workload.SERIES_PER_VM);
            engine.onSample(work.vms[vm], -1, work.series[vm][s], i);
        }
    }
}
