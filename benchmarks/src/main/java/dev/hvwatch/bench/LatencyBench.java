package dev.hvwatch.bench;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.rules.RuleEngine;
import dev.hvwatch.agent.rules.RulePack;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * Event-to-evaluation latency under load: a producer paces events at a fixed rate through the ring into the rule
 * engine (default pack); each event carries its publish time, and the consumer records, right after the engine has
 * handled it, how long it took. A TICK ends each second's round (there every rule of 16 VMs is evaluated and alerts
 * fire); TICKs are reported apart. Prints percentiles; not a JMH
 * benchmark because the figure is a distribution under a paced load, not a throughput.
 *
 * <p>{@code java -cp 'benchmarks/target/hvwatch-benchmarks.jar:benchmarks/target/lib/*' dev.hvwatch.bench.LatencyBench
 * [events-per-second] [seconds]}
 */
public final class LatencyBench {
    private LatencyBench() {
    }

    public static void main(String[] args) throws Exception {
        long rate = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Workload work = new Workload(16);
        RuleEngine engine = new RuleEngine(RulePack.load(List.of()), new AlertFactory("bench"), a -> { }, 2);
        Histogram events = new Histogram(3_600_000_000_000L, 3);
        Histogram ticks = new Histogram(3_600_000_000_000L, 3);
        long[] measureFrom = {Long.MAX_VALUE};
        EventHandler<TelemetryEvent> timed = (e, seq, end) -> {
            engine.onEvent(e, seq, end);
            long published = (long) (e.kind() == EventKind.TICK ? e.timeNanos() : e.value());
            if (published >= measureFrom[0]) {
                (e.kind() == EventKind.TICK ? ticks : events).recordValue(System.nanoTime() - published);
            }
        };
        long dropped;
        try (EventRing ring = new EventRing(1 << 16, timed)) {
            long period = 1_000_000_000L / rate;
            long start = System.nanoTime();
            measureFrom[0] = start + 2_000_000_000L; // two seconds of warm-up are not recorded
            long end = start + seconds * 1_000_000_000L;
            long i = 0;
            for (long next = start; next < end; next += period, i++) {
                long now;
                while ((now = System.nanoTime()) < next) {
                    Thread.onSpinWait();
                }
                if (i % rate == rate - 1) {
                    ring.publishTick(now); // one sampling round per second; rules read TICK time as their clock
                } else {
                    int vm = (int) (i % work.vms.length);
                    int s = (int) ((i >>> 4) % Workload.SERIES_PER_VM);
                    ring.publishSample(now, work.vms[vm], -1, work.series[vm][s], now);
                }
            }
            dropped = ring.dropped();
        }
        System.out.printf(Locale.ROOT, "rate=%d events/s for %d s (first 2 s not recorded), dropped=%d%n", rate, seconds,
                dropped);
        print("event->rules", events);
        print("tick->rules evaluated", ticks);
    }

    private static void print(String what, Histogram h) {
        System.out.printf(Locale.ROOT, "%-22s n=%d p50=%.1f us p99=%.1f us p99.9=%.1f us max=%.1f us%n", what,
                h.getTotalCount(), h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3);
    }
}
