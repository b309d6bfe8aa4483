package dev.hvwatch.agent.source.health;

import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.source.Sampler;
import dev.hvwatch.agent.source.Source;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The agent watching itself, as host series the rules and /metrics both read: {@code hvwatch_source_up{source}},
 * {@code hvwatch_agent_sources_down} and {@code hvwatch_events_dropped_total{stage}}. Runs last in each round,
 * so it sees this round's source health.
 */
public final class AgentHealthSource implements Source {
    /** The help text of {@code hvwatch_events_dropped_total}, which stages outside the ring share. */
    public static final String DROPS_HELP = "Events dropped, by the pipeline stage that dropped them";

    private final EventRing ring;
    private final Sampler sampler;
    private final Map<Series, LongSupplier> drops = new LinkedHashMap<>();
    private final Map<String, Series> up = new LinkedHashMap<>();
    private final Series down = new Series("hvwatch.agent.sources.down", "Telemetry sources whose last round failed",
            null, false, Map.of());

    public AgentHealthSource(EventRing ring, Sampler sampler) {
        this.ring = ring;
        this.sampler = sampler;
    }

    /** Counts what a stage dropped, e.g. ring or spool; call before the first round. */
    public AgentHealthSource dropsOf(String stage, LongSupplier dropped) {
        drops.put(new Series("hvwatch.events.dropped", DROPS_HELP, null, true, Map.of("stage", stage)), dropped);
        return this;
    }

    @Override
    public String name() {
        return "agent";
    }

    @Override
    public void sample(long nowNanos) {
        int sourcesDown = 0;
        for (String source : sampler.sourceNames()) {
            if (source.equals(name())) {
                continue;
            }
            boolean isUp = sampler.isUp(source);
            sourcesDown += isUp ? 0 : 1;
            Series s = up.computeIfAbsent(source, n -> new Series("hvwatch.source.up",
                    "Whether the telemetry source's last sampling round succeeded", null, false, Map.of("source", n)));
            ring.publishSample(nowNanos, null, -1, s, isUp ? 1 : 0);
        }
        ring.publishSample(nowNanos, null, -1, down, sourcesDown);
        for (Map.Entry<Series, LongSupplier> d : drops.entrySet()) {
            ring.publishSample(nowNanos, null, -1, d.getKey(), d.getValue().getAsLong());
        }
    }
}
