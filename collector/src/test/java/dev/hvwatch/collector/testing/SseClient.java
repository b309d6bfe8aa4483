package dev.hvwatch.collector.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** A server-sent events client over {@link HttpClient}, as a dashboard would hold one open. */
public final class SseClient implements AutoCloseable {
    private static final long TIMEOUT_SECONDS = 10;

    /** One event: its id and its data line. */
    public record Event(String id, String data) {
    }

    private final HttpResponse<Stream<String>> response;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final AtomicInteger comments = new AtomicInteger();
    private final List<String> body = new ArrayList<>();
    private final Thread reader;

    private SseClient(HttpResponse<Stream<String>> response) {
        this.response = response;
        this.reader = new Thread(this::read, "sse-client");
        reader.setDaemon(true);
        reader.start();
    }

    /** Opens a stream with a bearer token, and a Last-Event-ID header unless that is null. */
    public static SseClient open(HttpClient http, URI uri, String token, String lastEventId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + token);
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        return new SseClient(http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines())
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    }

    public int status() {
        return response.statusCode();
    }

    public HttpResponse<Stream<String>> response() {
        return response;
    }

    /** The body of a refused stream, once it has been read to its end. */
    public String refusal() throws InterruptedException {
        reader.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        synchronized (body) {
            return String.join("\n", body);
        }
    }

    public Event next() throws InterruptedException {
        Event event = events.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(event).as("event from the stream").isNotNull();
        return event;
    }

    /** The next {@code n} events. */
    public List<Event> next(int n) throws InterruptedException {
        List<Event> taken = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            taken.add(next());
        }
        return taken;
    }

    /** An event if one comes within {@code wait}, else null. */
    public Event poll(Duration wait) throws InterruptedException {
        return events.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Comment lines received, which is what heartbeats are. */
    public int comments() {
        return comments.get();
    }

    @Override
    public void close() {
        response.body().close();
        try {
            reader.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void read() {
        String id = null;
        String data = null;
        try (Stream<String> lines = response.body()) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (response.statusCode() != 200) {
                    synchronized (body) {
                        body.add(line);
                    }
                } else if (line.startsWith(":")) {
                    comments.incrementAndGet();
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("data: ")) {
                    data = line.substring(6);
                } else if (line.isEmpty() && data != null) {
                    events.add(new Event(id, data));
                    data = null;
                }
            }
        } catch (RuntimeException e) {
            // Closed by the test or by the server: the events read so far stay in the queue.
        }
    }
}
