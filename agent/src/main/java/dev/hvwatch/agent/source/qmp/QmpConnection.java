package dev.hvwatch.agent.source.qmp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One QMP conversation over a unix socket (QEMU's docs/interop/qmp-spec.rst): the greeting, capabilities
 * negotiation, commands matched to their replies by id, and asynchronous events, which QEMU sends whenever they
 * happen, between a command and its reply too. Events go to the consumer given at {@link #open}.
 *
 * <p>The channel is non-blocking, so every wait has a deadline: a monitor that another client holds accepts the
 * connection into its listen queue but never greets, and a stopped or stuck QEMU never replies.
 *
 * <p>Requests are serialised once ({@link Request}) and the receive buffer is reused, so a round writes without
 * allocating; replies are parsed into Jackson trees. Sampling thread only.
 */
final class QmpConnection implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private static final int INITIAL_BUFFER_BYTES = 64 * 1024;
    /** A vCPU's query-stats entry is about 2.5 KB: room for the largest VMs, and a bound on garbage. */
    private static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
    private static final Request CAPABILITIES = Request.of("qmp_capabilities", null);

    private final Path socket;
    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final Consumer<JsonNode> events;
    private byte[] buffer = new byte[INITIAL_BUFFER_BYTES];
    private ByteBuffer readView = ByteBuffer.wrap(buffer);
    /** Received, not yet consumed bytes are buffer[start, end); buffer[start, scanned) holds no newline. */
    private int start;
    private int scanned;
    private int end;
    private boolean negotiated;

    /**
     * A command serialised once, with a fixed id: one command is outstanding at a time and a connection whose
     * command timed out is closed, so a reply can only belong to the command just sent.
     */
    record Request(String id, String command, byte[] line) {
        static Request of(String command, ObjectNode arguments) {
            String id = arguments == null ? command : command + " " + arguments;
            ObjectNode request = JSON.createObjectNode().put("execute", command);
            if (arguments != null) {
                request.set("arguments", arguments);
            }
            request.put("id", id);
            return new Request(id, command, (request + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private QmpConnection(Path socket, SocketChannel channel, Selector selector, Consumer<JsonNode> events)
            throws IOException {
        this.socket = socket;
        this.channel = channel;
        this.selector = selector;
        this.key = channel.register(selector, SelectionKey.OP_READ);
        this.events = events;
    }

    /**
     * Connects without waiting for the greeting; see {@link #handshake}.
     *
     * @param events receives each QMP event ({@code {"event": …, "data": …, "timestamp": …}}) as it is read
     */
    static QmpConnection open(Path socket, Consumer<JsonNode> events) throws QmpException {
        if (!Files.exists(socket)) {
            throw new QmpException(QmpError.NO_SOCKET, socket + ": no such socket");
        }
        SocketChannel channel = null;
        Selector selector = null;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.configureBlocking(false);
            // A unix stream connect completes at once, into the listen queue if QEMU is serving another client; it
            // only fails (EAGAIN) when that queue is full too, which is one more client waiting for the monitor.
            if (!channel.connect(UnixDomainSocketAddress.of(socket))) {
                throw new QmpException(QmpError.BUSY, socket + ": connection left pending");
            }
            selector = Selector.open();
            return new QmpConnection(socket, channel, selector, events);
        } catch (ConnectException e) {
            closeQuietly(channel, selector);
            throw new QmpException(QmpError.REFUSED, socket + ": " + e.getMessage(), e);
        } catch (IOException | InvalidPathException e) {
            closeQuietly(channel, selector);
            throw new QmpException(QmpError.IO, socket + ": " + e.getMessage(), e);
        } catch (QmpException e) {
            closeQuietly(channel, selector);
            throw e;
        }
    }

    /**
     * Reads the greeting if it arrives within {@code waitNanos} and negotiates capabilities.
     *
     * @return false if the greeting has not come yet (the monitor is busy); call again later to keep the place in
     *         QEMU's queue
     */
    boolean handshake(long waitNanos, long timeoutNanos) throws QmpException {
        if (negotiated) {
            return true;
        }
        JsonNode greeting = next(System.nanoTime() + waitNanos);
        if (greeting == null) {
            return false;
        }
        if (!greeting.has("QMP")) {
            throw new QmpException(QmpError.PROTOCOL, socket + ": expected the QMP greeting, got " + brief(greeting));
        }
        execute(CAPABILITIES, timeoutNanos);
        negotiated = true;
        return true;
    }

    /**
     * Sends a command and waits for its reply, passing on the events that arrive meanwhile.
     *
     * @return the reply's {@code return} value
     */
    JsonNode execute(Request request, long timeoutNanos) throws QmpException {
        long deadline = System.nanoTime() + timeoutNanos;
        write(request, deadline);
        while (true) {
            JsonNode message = next(deadline);
            if (message == null) {
                throw new QmpException(QmpError.TIMEOUT, socket + ": no reply to " + request.command() + " within "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            }
            if (message.has("event")) {
                events.accept(message);
                continue;
            }
            JsonNode id = message.get("id");
            // QEMU leaves the id out only when it could not read the request, and then the error is for it.
            if (id != null && !request.id().equals(id.asText())) {
                continue;
            }
            JsonNode error = message.get("error");
            if (error != null) {
                throw new QmpException(QmpError.COMMAND, socket + ": " + request.command() + " failed: "
                        + error.path("class").asText() + ": " + error.path("desc").asText());
            }
            JsonNode result = message.get("return");
            if (result == null) {
                throw new QmpException(QmpError.PROTOCOL, socket + ": neither return nor error in the reply to "
                        + request.command() + ": " + brief(message));
            }
            return result;
        }
    }

    /** Passes on the events that arrived since the last exchange, without waiting for more. */
    void pollEvents() throws QmpException {
        JsonNode message;
        while ((message = next(System.nanoTime())) != null) {
            if (message.has("event")) {
                events.accept(message);
            }
        }
    }

    Path socket() {
        return socket;
    }

    @Override
    public void close() {
        closeQuietly(channel, selector);
    }

    /** The next message, reading as needed until {@code deadline} ({@link System#nanoTime}); null if none came. */
    private JsonNode next(long deadline) throws QmpException {
        while (true) {
            JsonNode message = takeMessage();
            if (message != null) {
                return message;
            }
            if (fill() > 0) {
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            awaitReadable(left);
        }
    }

    /** Parses the next complete line of the buffer, skipping blank ones; null if no complete line is buffered. */
    private JsonNode takeMessage() throws QmpException {
        while (true) {
            int newline = -1;
            for (int i = scanned; i < end; i++) {
                if (buffer[i] == '\n') {
                    newline = i;
                    break;
                }
            }
            if (newline < 0) {
                scanned = end;
                return null;
            }
            int lineStart = start;
            start = newline + 1;
            scanned = start;
            if (isBlank(lineStart, newline)) {
                continue;
            }
            try {
                JsonNode message = JSON.readTree(buffer, lineStart, newline - lineStart);
                if (message == null || !message.isObject()) {
                    throw new QmpException(QmpError.PROTOCOL, socket + ": not a QMP message: "
                            + text(lineStart, newline));
                }
                return message;
            } catch (JsonProcessingException e) {
                throw new QmpException(QmpError.PROTOCOL, socket + ": not JSON: " + text(lineStart, newline), e);
            } catch (IOException e) {
                throw new QmpException(QmpError.PROTOCOL, socket + ": unreadable message: " + e.getMessage(), e);
            }
        }
    }

    /** Reads what the socket holds now into the buffer, compacting or growing it first if it is full. */
    private int fill() throws QmpException {
        if (start == end) {
            start = 0;
            scanned = 0;
            end = 0;
        }
        if (end == buffer.length) {
            if (start > 0) {
                System.arraycopy(buffer, start, buffer, 0, end - start);
                end -= start;
                scanned -= start;
                start = 0;
            } else if (buffer.length >= MAX_MESSAGE_BYTES) {
                throw new QmpException(QmpError.PROTOCOL, socket + ": a message longer than "
                        + MAX_MESSAGE_BYTES + " bytes");
            } else {
                buffer = Arrays.copyOf(buffer, Math.min(buffer.length * 2, MAX_MESSAGE_BYTES));
                readView = ByteBuffer.wrap(buffer);
            }
        }
        readView.limit(buffer.length).position(end);
        int n;
        try {
            n = channel.read(readView);
        } catch (IOException e) {
            throw new QmpException(QmpError.CLOSED, socket + ": " + e.getMessage(), e);
        }
        if (n < 0) {
            throw new QmpException(QmpError.CLOSED, socket + ": QEMU closed the connection");
        }
        end += n;
        return n;
    }

    private void write(Request request, long deadline) throws QmpException {
        ByteBuffer out = ByteBuffer.wrap(request.line());
        try {
            while (out.hasRemaining()) {
                if (channel.write(out) > 0) {
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new QmpException(QmpError.TIMEOUT, socket + ": could not send " + request.command());
                }
                key.interestOps(SelectionKey.OP_WRITE);
                try {
                    select(left);
                } finally {
                    key.interestOps(SelectionKey.OP_READ);
                }
            }
        } catch (IOException e) {
            throw new QmpException(QmpError.CLOSED, socket + ": " + e.getMessage(), e);
        }
    }

    private void awaitReadable(long nanos) throws QmpException {
        try {
            select(nanos);
        } catch (IOException e) {
            throw new QmpException(QmpError.IO, socket + ": " + e.getMessage(), e);
        }
    }

    private void select(long nanos) throws IOException {
        selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)));
        selector.selectedKeys().clear();
    }

    private boolean isBlank(int from, int to) {
        for (int i = from; i < to; i++) {
            if (buffer[i] != ' ' && buffer[i] != '\r' && buffer[i] != '\t') {
                return false;
            }
        }
        return true;
    }

    private String text(int from, int to) {
        return new String(buffer, from, Math.min(to - from, 120), StandardCharsets.UTF_8).strip();
    }

    private static String brief(JsonNode message) {
        String s = message.toString();
        return s.length() <= 120 ? s : s.substring(0, 120) + "…";
    }

    private static void closeQuietly(SocketChannel channel, Selector selector) {
        try {
            if (selector != null) {
                selector.close();
            }
        } catch (IOException ignored) {
            // Nothing left to do with a selector that will not close.
        }
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // The socket is gone either way.
        }
    }
}
