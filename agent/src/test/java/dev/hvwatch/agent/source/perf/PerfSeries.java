package dev.hvwatch.agent.source.perf;

import dev.hvwatch.agent.ring.Series;
import java.util.List;
import java.util.stream.Stream;

/** Every series the perf source may publish per vCPU (software and hardware counters), for the docs' reference. */
public final class PerfSeries {
    private PerfSeries() {
    }

    public static List<Series> all() {
        return Stream.concat(PerfCounter.SOFTWARE.stream(), PerfCounter.HARDWARE.stream())
                .map(PerfCounter::newSeries).toList();
    }
}
