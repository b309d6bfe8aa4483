package dev.hvwatch.agent.source;

/**
 * One telemetry source behind the same small interface (node_exporter's collector idea): the {@link Sampler}
 * calls {@link #sample} once per interval; a source publishes what it read to the ring and returns. Throwing
 * marks the source down ({@code hvwatch_source_up{source}=0}) until a later call succeeds.
 */
public interface Source {

    /** The {@code source} label: short, stable, lower case. */
    String name();

    /** @param nowNanos wall-clock time of this sampling round, nanoseconds since the epoch */
    void sample(long nowNanos) throws Exception;
}
