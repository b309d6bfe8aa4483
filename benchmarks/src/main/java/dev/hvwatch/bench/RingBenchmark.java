package dev.hvwatch.bench;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.TelemetryEvent;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Events per second through the agent's ring from one producer: to a consumer that does nothing ("ring only"), and
 * to the rule engine running the default pack ("rules"). A publish that finds the ring full is retried, so the
 * figure is what the consumer keeps up with; every 512 events a TICK, one sampling round, makes the engine
 * evaluate all rules of 16 VMs with two vCPUs each.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RingBenchmark {
    @Param({"none", "rules"})
    public String consumer;

    private EventRing ring;
    private Batch batch;
    private Workload work;
    private long n;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        work = new Workload(16);
        EventHandler<TelemetryEvent> handler = consumer.equals("rules")
                ? new RuleEngine(RulePack.load(List.of()), new AlertFactory("bench"), a -> { }, 2)
                : (e, seq, end) -> { };
        ring = new EventRing(1 << 16, handler);
        batch = ring.batch();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ring.close();
    }

    /**
     * The same events staged by a source's {@link Batch} and published a batch at a time, as the sampling sources
     * publish a round. A batch the ring has no room for stays staged and is retried, so that the figure
     * is what the consumer keeps up with (the agent would drop and count it instead).
     */
    @Benchmark
    public void publishBatched() {
        long i = n++;
        long now = 1_000_000_000L * (i / 512);
        if ((i & 511) == 511) {
            while (!batch.tryFlush()) {
                Thread.onSpinWait();
            }
            while (!ring.publishTick(now)) {
                Thread.onSpinWait();
            }
            return;
        }
        int vm = (int) (i % work.vms.length);
        int s = (int) ((i >>> 4) % Workload.SERIES_PER_VM);
        if (batch.full()) {
            while (!batch.tryFlush()) {
                Thread.onSpinWait();
            }
        }
        batch.sample(now, work.vms[vm], -1, work.series[vm][s], i);
    }

    @Benchmark
    public void publish() {
        long i = n++;
        long now = 1_000_000_000L * (i / 512); // a TICK per 512 events stands for one sampling round, one second
        if ((i & 511) == 511) {
            while (!ring.publishTick(now)) {
                Thread.onSpinWait();
            }
            return;
        }
        int vm = (int) (i % work.vms.length);
        int s = (int) ((i >>> 4) % Workload.SERIES_PER_VM);
        while (!ring.publishSample(now, work.vms[vm], -1, work.series[vm][s], i)) {
            Thread.onSpinWait();
        }
    }
}
