package dev.hvwatch.agent.metrics;

import dev.hvwatch.agent.rules.attribution.InterferenceSink;
import dev.hvwatch.agent.vm.Vm;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * {@code hvwatch_vm_cpu_interference_seconds_total{vm,antagonist}}: time the VM's vCPUs waited while the antagonist
 * VM ran on their CPUs, for the pairs attribution found above its floor. A pair's series starts when it is first
 * found and ends when either VM stops. Written on the rule engine's thread; scrapes read the adders.
 */
public final class InterferenceMetrics implements InterferenceSink {
    private final MeterRegistry registry;
    private final Map<Pair, Series> pairs = new ConcurrentHashMap<>();

    public InterferenceMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    private record Pair(Vm victim, Vm antagonist) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Pair p && p.victim == victim && p.antagonist == antagonist;
        }

        @Override
        public int hashCode() {
            return 31 * System.identityHashCode(victim) + System.identityHashCode(antagonist);
        }
    }

    /** The adder is held here because Micrometer holds a function counter's object only weakly. */
    private record Series(DoubleAdder seconds, Meter meter) {
    }

    @Override
    public void add(Vm victim, Vm antagonist, double seconds) {
        pairs.computeIfAbsent(new Pair(victim, antagonist), p -> {
            DoubleAdder adder = new DoubleAdder();
            return new Series(adder, FunctionCounter.builder("hvwatch.vm.cpu.interference", adder, DoubleAdder::sum)
                    .description("Time the VM's vCPUs waited for a host CPU while the antagonist VM ran on their "
                            + "CPUs (pairs above attribution.interferenceFloor, while attribution runs)")
                    .baseUnit("seconds").tags("vm", victim.name(), "antagonist", antagonist.name())
                    .register(registry));
        }).seconds().add(seconds);
    }

    @Override
    public void forget(Vm vm) {
        for (Iterator<Map.Entry<Pair, Series>> it = pairs.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Pair, Series> e = it.next();
            if (e.getKey().victim() == vm || e.getKey().antagonist() == vm) {
                registry.remove(e.getValue().meter());
                it.remove();
            }
        }
    }
}
