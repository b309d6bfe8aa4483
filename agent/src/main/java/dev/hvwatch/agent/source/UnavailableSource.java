package dev.hvwatch.agent.source;

/**
 * Stands in for a source that could not start (no permission, no such device), so that it still appears in
 * {@code hvwatch_source_up} as 0 and the sampler logs the reason once, like any other source that is down.
 */
public final class UnavailableSource implements Source {
    private final String name;
    private final String reason;

    public UnavailableSource(String name, String reason) {
        this.name = name;
        this.reason = reason;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void sample(long nowNanos) throws Exception {
        throw new IllegalStateException(reason);
    }
}
