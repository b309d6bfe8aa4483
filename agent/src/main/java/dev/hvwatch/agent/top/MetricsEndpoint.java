package dev.hvwatch.agent.top;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** A running agent's /metrics, read over HTTP as Prometheus reads it. */
public final class MetricsEndpoint {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final URI uri;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    public MetricsEndpoint(URI uri) {
        this.uri = uri;
    }

    public URI uri() {
        return uri;
    }

    /**
     * @throws IOException with one sentence saying what went wrong: nothing listening, no answer in time, an
     *                     answer that is not a scrape
     */
    public Scrape scrape() throws IOException, InterruptedException {
        HttpResponse<String> response;
        try {
            response = client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new IOException("nothing answers at " + uri + ": is hvwatch-agent running, with metrics.listen "
                    + "at that address?", e);
        } catch (HttpTimeoutException e) {
            throw new IOException(uri + " did not answer within " + TIMEOUT.toSeconds() + " s", e);
        }
        long at = System.nanoTime();
        if (response.statusCode() != 200) {
            throw new IOException(uri + " answered HTTP " + response.statusCode() + ", not metrics");
        }
        try {
            return new Scrape(at, Exposition.parse(response.body()));
        } catch (Exposition.ExpositionException e) {
            throw new IOException(uri + " is not Prometheus text: " + e.getMessage(), e);
        }
    }
}
