package dev.hvwatch.agent.source.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/** A unix socket that plays a script to the one client it accepts: the QMP edge cases a real QEMU rarely shows. */
final class FakeQmpServer implements AutoCloseable {
    static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}},"
            + " \"capabilities\": [\"oob\"]}}";

    interface Script {
        void play(Peer peer) throws Exception;
    }

    private final ServerSocketChannel server;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    FakeQmpServer(Path socket, Script script) throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = new Thread(() -> {
            try (SocketChannel client = server.accept()) {
                script.play(new Peer(client));
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "fake-qmp");
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits for the script to end; rethrows what went wrong in it. */
    void finish() throws Throwable {
        thread.join(5000);
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        thread.interrupt();
    }

    static final class Peer {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final BufferedReader in;
        private final OutputStream out;

        Peer(SocketChannel channel) {
            in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            out = Channels.newOutputStream(channel);
        }

        void send(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        /** The next command; null when the client hung up. */
        JsonNode receive() throws IOException {
            String line = in.readLine();
            return line == null ? null : JSON.readTree(line);
        }

        /** Greets, accepts qmp_capabilities. */
        void handshake() throws IOException {
            send(GREETING + "\r\n");
            reply(receive(), "{}");
        }

        void reply(JsonNode command, String returnJson) throws IOException {
            send("{\"return\": " + returnJson + ", \"id\": " + command.get("id") + "}\r\n");
        }

        static String event(String name) {
            return "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 250000}, \"event\": \"" + name
                    + "\"}\r\n";
        }
    }
}
