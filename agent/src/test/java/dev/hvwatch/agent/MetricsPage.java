package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.top.Exposition;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

    /**
     * The value of one series, written as /metrics writes it, e.g. {@code name{a="1",b="2"}} (labels in any order);
     * fails if absent. Read with the agent's own exposition parser.
     */
    public double value(String series) {
        Exposition.Sample wanted = Exposition.parse(series + " 0").get(0);
        return Exposition.parse(text).stream()
                .filter(s -> s.name().equals(wanted.name()) && s.labels().equals(wanted.labels()))
                .findFirst().map(Exposition.Sample::value)
                .orElseThrow(() -> new AssertionError("series " + series + " not in /metrics:\n" + text));
    }

    /** The lines of one metric family, to say what else was there when an assertion fails. */
    public String family(String name) {
        return text.lines().filter(l -> l.startsWith(name)).collect(Collectors.joining("\n"));
    }

    public boolean contains(String text) {
        return this.text.contains(text);
    }
}
