package dev.hvwatch.collector.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A collector's {@code /metrics}, read from loopback as Prometheus would, and its samples. */
public final class Scrape {
    private final String text;

    private Scrape(String text) {
        this.text = text;
    }

    public static Scrape of(int apiPort) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + apiPort + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /metrics answered " + response.statusCode() + ": " + response.body());
        }
        return new Scrape(response.body());
    }

    /** The value of {@code series}, written as it appears: {@code name} or {@code name{label="value"}}. */
    public double sample(String series) {
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        throw new AssertionError("no series " + series + " in /metrics:\n" + text);
    }

    @Override
    public String toString() {
        return text;
    }
}
