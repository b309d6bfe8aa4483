package dev.hvwatch.agent.ship;

import dev.hvwatch.protocol.tls.TlsContexts;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.Frame;
import dev.hvwatch.protocol.wire.FrameDecoder;
import dev.hvwatch.protocol.wire.FrameEncoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A scripted collector: records every frame an agent sends, answers nothing on its own, and lets the test reply,
 * stay silent or hang up, so that the shipper can be driven into the cases a real collector rarely produces.
 */
final class FakeCollector implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final BlockingQueue<Channel> connections = new LinkedBlockingQueue<>();
    private final BlockingQueue<Frame> received = new LinkedBlockingQueue<>();
    private final Channel server;

    FakeCollector(TlsFiles tls) throws Exception {
        SslContext context = TlsContexts.server(tls);
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(context.newHandler(ch.alloc()), new FrameDecoder(), new FrameEncoder(),
                                new SimpleChannelInboundHandler<Frame>() {
                                    @Override
                                    public void channelActive(ChannelHandlerContext ctx) {
                                        connections.add(ctx.channel());
                                    }

                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
                                        received.add(frame);
                                    }
                                });
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The next connection an agent opens. */
    Channel nextConnection() throws InterruptedException {
        Channel channel = connections.poll(10, TimeUnit.SECONDS);
        if (channel == null) {
            throw new AssertionError("no connection from the agent");
        }
        return channel;
    }

    /** The next frame other than a heartbeat. */
    Frame nextFrame() throws InterruptedException {
        while (true) {
            Frame frame = received.poll(10, TimeUnit.SECONDS);
            if (frame == null) {
                throw new AssertionError("no frame from the agent");
            }
            if (!(frame instanceof Frame.Heartbeat)) {
                return frame;
            }
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
