package dev.hvwatch.collector.output.transport;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.output.Formatted;
import dev.hvwatch.collector.output.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;

/**
 * POSTs each batch as one JSON array ({@code application/json}) to a URL, with {@code Authorization: Bearer TOKEN}
 * when a token file is configured. Any answer but 2xx, and any network failure, fails the batch, which is posted
 * again after the output's backoff; receivers deduplicate by the alerts' (agent, seq).
 */
public final class WebhookTransport implements Transport {
    private static final int ERROR_BODY_CHARS = 200;

    private final OutputConfig.Webhook config;
    private final HttpClient client;
    private final String authorization;

    public WebhookTransport(OutputConfig.Webhook config) throws IOException {
        this.config = config;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(config.timeout());
        if (config.ca() != null) {
            builder.sslContext(ClientTlsContext.of(config.ca(), null, null));
        }
        this.client = builder.build();
        this.authorization = config.tokenFile() == null ? null : "Bearer " + token(config);
    }

    private static String token(OutputConfig.Webhook config) throws IOException {
        String token = Files.readString(config.tokenFile(), StandardCharsets.UTF_8).strip();
        if (token.isEmpty() || token.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
            throw new IOException("webhook token file " + config.tokenFile() + " must hold one token of printable "
                    + "ASCII without spaces");
        }
        return token;
    }

    @Override
    public void deliver(List<Formatted> batch) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream(batch.size() * 1024);
        body.write('[');
        for (int i = 0; i < batch.size(); i++) {
            if (i > 0) {
                body.write(',');
            }
            body.writeBytes(batch.get(i).bytes());
        }
        body.write(']');
        HttpRequest.Builder request = HttpRequest.newBuilder(config.url())
                .timeout(config.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while posting to " + config.url(), e);
        }
        if (response.statusCode() / 100 != 2) {
            String text = response.body();
            throw new IOException("webhook " + config.url() + " answered HTTP " + response.statusCode() + ": "
                    + (text.length() > ERROR_BODY_CHARS ? text.substring(0, ERROR_BODY_CHARS) + "…" : text));
        }
    }

    /** Java 17's HttpClient has no close: its threads end once it is no longer referenced. */
    @Override
    public void close() {
    }
}
