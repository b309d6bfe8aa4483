package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** One scrape of an agent's /metrics, for tests that read series by their exposition text. */
public record MetricsPage(String text) {

    public static MetricsPage scrape(InetSocketAddress address) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + address.getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return new MetricsPage(r.body());
    }

    /** The value of a series written exactly as /metrics writes it, e.g. {@code name{a="1",b="2"}}; fails if absent. */
    public double value(String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        assertThat(m.find()).as("series %s in /metrics:%n%s", series, text).isTrue();
        // The exposition format writes infinities as +Inf and -Inf, which Java's parser does not take.
        return switch (m.group(1)) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(m.group(1));
        };
    }

    /** The lines of one metric family, to say what else was there when an assertion fails. */
    public String family(String name) {
        return text.lines().filter(l -> l.startsWith(name)).collect(Collectors.joining("\n"));
    }

    public boolean contains(String text) {
        return this.text.contains(text);
    }
}
