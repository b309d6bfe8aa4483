package dev.hvwatch.collector.api;

/** The API's paths; anything else is 404 and counted under the route "other". */
enum Route {
    HEALTHZ("/healthz"),
    READYZ("/readyz"),
    METRICS("/metrics"),
    ALERTS("/api/v1/alerts"),
    STREAM(AlertStreams.ROUTE);

    static final String OTHER = "other";

    private final String path;

    Route(String path) {
        this.path = path;
    }

    String path() {
        return path;
    }

    /** The route of {@code path}, or null. */
    static Route of(String path) {
        for (Route route : values()) {
            if (route.path.equals(path)) {
                return route;
            }
        }
        return null;
    }
}
