package dev.hvwatch.agent.source.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The QMP transport against a scripted server. */
@Timeout(20)
class QmpConnectionTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final QmpConnection.Request QUERY = QmpConnection.Request.of("query-status", null);

    @TempDir
    Path dir;

    private final List<String> events = new CopyOnWriteArrayList<>();

    private QmpConnection connect(Path socket) throws QmpException {
        return QmpConnection.open(socket, e -> events.add(e.path("event").asText()));
    }

    @Test
    void eventsBeforeAndAmidARepliesReachTheListenerInOrder() throws Throwable {
        Path socket = dir.resolve("qmp.sock");
        try (FakeQmpServer server = new FakeQmpServer(socket, peer -> {
            peer.handshake();
            JsonNode command = peer.receive();
            peer.send(FakeQmpServer.Peer.event("STOP"));
            peer.send(FakeQmpServer.Peer.event("RESUME"));
            peer.reply(command, "{\"running\": true}");
            peer.send(FakeQmpServer.Peer.event("SHUTDOWN"));
            peer.receive();
        }); QmpConnection qmp = connect(socket)) {
            assertThat(qmp.handshake(SECOND, SECOND)).isTrue();

            JsonNode status = qmp.execute(QUERY, SECOND);

            assertThat(status.path("running").asBoolean()).isTrue();
            assertThat(events).containsExactly("STOP", "RESUME");
            Awaitility.await().atMost(5, TimeUnit.SECONDS).untilAsserted(() -> {
                qmp.pollEvents();
                assertThat(events).containsExactly("STOP", "RESUME", "SHUTDOWN");
            });
            qmp.close();
            server.finish();
        }
    }

    @Test
    void aMonitorThatDoesNotGreetIsWaitedForWithoutBlocking() throws Throwable {
        Path socket = dir.resolve("qmp.sock");
        CountDownLatch otherClientLeft = new CountDownLatch(1);
        try (FakeQmpServer server = new FakeQmpServer(socket, peer -> {
            otherClientLeft.await();
            peer.handshake();
            peer.receive();
        }); QmpConnection qmp = connect(socket)) {
            long start = System.nanoTime();
            assertThat(qmp.handshake(TimeUnit.MILLISECONDS.toNanos(100), SECOND)).isFalse();
            assertThat(qmp.handshake(0, SECOND)).isFalse();
            assertThat(System.nanoTime() - start).isLessThan(SECOND);

            otherClientLeft.countDown();

            assertThat(qmp.handshake(SECOND, SECOND)).isTrue();
            qmp.close();
            server.finish();
        }
    }

    @Test
    void aReplyThatNeverComesTimesOut() throws Throwable {
        Path socket = dir.resolve("qmp.sock");
        try (FakeQmpServer server = new FakeQmpServer(socket, peer -> {
            peer.handshake();
            peer.receive();
            peer.receive();
        }); QmpConnection qmp = connect(socket)) {
            qmp.handshake(SECOND, SECOND);

            assertThatThrownBy(() -> qmp.execute(QUERY, TimeUnit.MILLISECONDS.toNanos(200)))
                    .isInstanceOfSatisfying(QmpException.class, e -> {
                        assertThat(e.reason()).isEqualTo(QmpError.TIMEOUT);
                        assertThat(e.getMessage()).contains("query-status");
                    });
        }
    }

    @Test
    void anErrorReplyIsACommandErrorNamingItsClass() throws Throwable {
        Path socket = dir.resolve("qmp.sock");
        try (FakeQmpServer server = new FakeQmpServer(socket, peer -> {
            peer.handshake();
            JsonNode command = peer.receive();
            peer.send("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command query-status has not "
                    + "been found\"}, \"id\": " + command.get("id") + "}\n");
            peer.receive();
        }); QmpConnection qmp = connect(socket)) {
            qmp.handshake(SECOND, SECOND);

            assertThatThrownBy(() -> qmp.execute(QUERY, SECOND))
                    .isInstanceOfSatisfying(QmpException.class, e -> {
                        assertThat(e.reason()).isEqualTo(QmpError.COMMAND);
                        assertThat(e.getMessage()).contains("CommandNotFound");
                    });
        }
    }

    @Test
    void aLineThatIsNotJsonIsAProtocolError() throws Throwable {
        Path socket = dir.resolve("qmp.sock");
        try (FakeQmpServer server = new FakeQmpServer(socket, peer -> {
            peer.send("Welcome to some other service\n");
            peer.receive();
        }); QmpConnection qmp = connect(socket)) {
            assertThatThrownBy(() -> qmp.handshake(SECOND, SECOND))
                    .isInstanceOfSatisfying(QmpException.class,
                            e -> assertThat(e.reason()).isEqualTo(QmpError.PROTOCOL));
        }
    }

    @Test
    void aConnectionQemuClosesIsClosed() throws Throwable {
        Path socket = dir.resolve("qmp.sock");
        try (FakeQmpServer server = new FakeQmpServer(socket, FakeQmpServer.Peer::handshake);
             QmpConnection qmp = connect(socket)) {
            qmp.handshake(SECOND, SECOND);
            server.finish();

            assertThatThrownBy(() -> qmp.execute(QUERY, SECOND))
                    .isInstanceOfSatisfying(QmpException.class,
                            e -> assertThat(e.reason()).isEqualTo(QmpError.CLOSED));
        }
    }

    @Test
    void aReplyMuchLargerThanTheBufferArrivesWhole() throws Throwable {
        Path socket = dir.resolve("qmp.sock");
        String big = "\"" + "x".repeat(300_000) + "\"";
        try (FakeQmpServer server = new FakeQmpServer(socket, peer -> {
            peer.handshake();
            JsonNode command = peer.receive();
            peer.send(FakeQmpServer.Peer.event("STOP").substring(0, 20));
            Thread.sleep(50);
            peer.send(FakeQmpServer.Peer.event("STOP").substring(20));
            peer.reply(command, big);
            peer.receive();
        }); QmpConnection qmp = connect(socket)) {
            qmp.handshake(SECOND, SECOND);

            JsonNode reply = qmp.execute(QUERY, SECOND);

            assertThat(reply.asText()).hasSize(300_000);
            assertThat(events).containsExactly("STOP");
        }
    }

    @Test
    void aMissingSocketAndOneNobodyListensOnAreToldApart() throws Exception {
        assertThatThrownBy(() -> connect(dir.resolve("absent.sock")))
                .isInstanceOfSatisfying(QmpException.class, e -> assertThat(e.reason()).isEqualTo(QmpError.NO_SOCKET));

        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            gone.bind(UnixDomainSocketAddress.of(stale));
        }
        assertThatThrownBy(() -> connect(stale))
                .isInstanceOfSatisfying(QmpException.class, e -> assertThat(e.reason()).isEqualTo(QmpError.REFUSED));
    }
}
