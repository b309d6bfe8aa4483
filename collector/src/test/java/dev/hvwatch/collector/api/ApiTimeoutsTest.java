package dev.hvwatch.collector.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.testing.ApiFixture;
import dev.hvwatch.collector.testing.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that never finish their request, or never start one, cannot hold the API: while fifty of them trickle
 * header bytes, others are answered at once; each trickler gets 408 once {@code api.headerTimeout} has passed since
 * its first byte, and a silent connection is closed after {@code api.idleTimeout}.
 */
class ApiTimeoutsTest {
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    private ApiFixture api;

    @AfterEach
    void stop() throws Exception {
        api.close();
    }

    @Test
    void slowRequestsGet408WhileOthersAreServed() throws Exception {
        api = start();
        List<Socket> tricklers = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                tricklers.add(connect());
            }
            CompletableFuture<Void> trickling = CompletableFuture.runAsync(() -> trickle(tricklers));
            // Meanwhile every other client is answered, many at once.
            List<CompletableFuture<HttpResponse<String>>> served = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                served.add(api.http().sendAsync(HttpRequest.newBuilder(api.uri("/healthz"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> answer : served) {
                assertThat(answer.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            assertThat(trickling).isNotDone();

            trickling.get(30, TimeUnit.SECONDS);
            for (Socket trickler : tricklers) {
                assertThat(readAnswer(trickler.getInputStream())).startsWith("HTTP/1.1 408 Request Timeout");
                assertThat(trickler.getInputStream().read()).as("closed after the 408").isEqualTo(-1);
            }
            assertThat(api.metric("hvwatch_collector_api_header_timeouts_total")).isEqualTo(50);
        } finally {
            for (Socket trickler : tricklers) {
                trickler.close();
            }
        }
    }

    @Test
    void aSilentConnectionIsClosedAfterTheIdleTimeoutAndAKeptAliveOneServesRequestsWithinIt() throws Exception {
        api = start();
        try (Socket silent = connect(); Socket keptAlive = connect()) {
            long opened = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                keptAlive.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(readAnswer(keptAlive.getInputStream())).startsWith("HTTP/1.1 200 OK");
                Thread.sleep(IDLE_TIMEOUT.toMillis() / 2);
            }

            assertThat(silent.getInputStream().read()).as("closed by the collector").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - opened)).isGreaterThanOrEqualTo(IDLE_TIMEOUT);
            await().atMost(Duration.ofSeconds(10)).until(() -> keptAlive.getInputStream().read() == -1);
        }
        assertThat(api.metric("hvwatch_collector_api_header_timeouts_total")).isZero();
    }

    private ApiFixture start() throws Exception {
        CollectorConfig.Api config = new CollectorConfig.Api(InetSocketAddress.createUnresolved("127.0.0.1", 0), null,
                ApiFixture.tokensFile(dir, "soc-reader " + ApiFixture.TOKEN), null, null, null, HEADER_TIMEOUT,
                IDLE_TIMEOUT);
        return ApiFixture.start(new TestPki(dir.resolve("pki")), dir, config);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", api.collector().apiAddress().getPort());
        socket.setSoTimeout((int) Duration.ofSeconds(30).toMillis());
        return socket;
    }

    /**
     * Sends each socket a request's headers, a byte every 100 ms, never the blank line that ends them, until every
     * socket has an answer waiting.
     */
    private static void trickle(List<Socket> sockets) {
        byte[] headers = ("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + "a".repeat(300))
                .getBytes(StandardCharsets.US_ASCII);
        try {
            for (byte b : headers) {
                boolean waiting = false;
                for (Socket socket : sockets) {
                    if (socket.getInputStream().available() == 0) {
                        waiting = true;
                        socket.getOutputStream().write(b);
                        socket.getOutputStream().flush();
                    }
                }
                if (!waiting) {
                    return;
                }
                Thread.sleep(100);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The status line and headers of one answer, and its body as far as Content-Length says. */
    private static String readAnswer(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        String text = head.toString();
        int at = text.toLowerCase().indexOf("content-length: ");
        if (at >= 0) {
            int length = Integer.parseInt(text.substring(at + 16, text.indexOf("\r\n", at)).trim());
            in.readNBytes(length);
        }
        return text;
    }
}
