package dev.hvwatch.collector.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.wire.Frame;
import dev.hvwatch.protocol.wire.FrameDecoder;
import dev.hvwatch.protocol.wire.FrameEncoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;

/** A bare protocol client that sends whatever frames a test tells it to and records what comes back. */
public final class TestAgent implements AutoCloseable {
    private static final long TIMEOUT_SECONDS = 10;

    private final EventLoopGroup group;
    private final boolean ownGroup;
    private final BlockingQueue<Frame> received = new LinkedBlockingQueue<>();
    private final Channel channel;

    public TestAgent(SslContext tls, int port) throws InterruptedException {
        this(new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()), true, tls, port);
    }

    /** A client on {@code group}, which the test owns: for many connections at once without a thread each. */
    public TestAgent(EventLoopGroup group, SslContext tls, int port) throws InterruptedException {
        this(group, false, tls, port);
    }

    private TestAgent(EventLoopGroup group, boolean ownGroup, SslContext tls, int port) throws InterruptedException {
        this.group = group;
        this.ownGroup = ownGroup;
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc(), "localhost", port),
                                new FrameDecoder(), new FrameEncoder(),
                                new SimpleChannelInboundHandler<Frame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
                                        received.add(frame);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        ctx.close();
                                    }
                                });
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
    }

    public void send(Frame frame) {
        channel.writeAndFlush(frame);
    }

    /** Bytes as they are, past the frame encoder: for frames no well-behaved agent would write. */
    public void sendRaw(byte[] bytes) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(bytes));
    }

    /** The peer certificate the collector presented, once the handshake is done; fails if it fails or times out. */
    public X509Certificate collectorCertificate() throws InterruptedException, SSLPeerUnverifiedException {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        assertThat(ssl.handshakeFuture().await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("TLS handshake done").isTrue();
        assertThat(ssl.handshakeFuture().cause()).as("TLS handshake failure").isNull();
        return (X509Certificate) ssl.engine().getSession().getPeerCertificates()[0];
    }

    /** Sends HELLO and returns the collector's WELCOME. */
    public Frame.Welcome hello(String agent) throws InterruptedException {
        send(new Frame.Hello(agent, 0));
        return (Frame.Welcome) next();
    }

    /**
     * Says HELLO as {@code identity}, sends the alerts in batches of {@code batchSize} and returns once the
     * collector has acknowledged the last one, i.e. once all are journaled.
     */
    public void deliver(String identity, List<Alert> alerts, int batchSize) throws InterruptedException {
        hello(identity);
        deliverMore(alerts, batchSize);
    }

    /** After {@link #deliver}, on the same connection: sends more and waits until the last is acknowledged. */
    public void deliverMore(List<Alert> alerts, int batchSize) throws InterruptedException {
        for (int from = 0; from < alerts.size(); from += batchSize) {
            send(Frame.Alerts.of(alerts.subList(from, Math.min(alerts.size(), from + batchSize))));
        }
        long last = alerts.get(alerts.size() - 1).seq();
        for (Frame frame = next(); !frame.equals(new Frame.Ack(last)); frame = next()) {
            assertThat(frame).as("answer to a batch").isInstanceOf(Frame.Ack.class);
        }
    }

    public Frame next() throws InterruptedException {
        Frame frame = received.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(frame).as("frame from the collector").isNotNull();
        return frame;
    }

    public boolean awaitClosed() throws InterruptedException {
        return channel.closeFuture().await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    public BlockingQueue<Frame> received() {
        return received;
    }

    @Override
    public void close() {
        if (group.isShuttingDown()) {
            return;
        }
        channel.close().syncUninterruptibly();
        if (ownGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
