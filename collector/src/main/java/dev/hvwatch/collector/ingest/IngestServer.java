package dev.hvwatch.collector.ingest;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.tls.ServerTls;
import dev.hvwatch.protocol.wire.FrameDecoder;
import dev.hvwatch.protocol.wire.FrameEncoder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.Channel;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's listening side: TCP port {@value #DEFAULT_PORT} on 127.0.0.1 unless configured otherwise, TLS 1.3
 * with a client certificate required, then the idle timeout, the {@link FrameGuard} (memory and per-frame deadline),
 * framing, then {@link IngestHandler}.
 */
public final class IngestServer implements AutoCloseable, MeterBinder {
    public static final int DEFAULT_PORT = 7847;
    private static final Logger log = LoggerFactory.getLogger(IngestServer.class);
    private static final long SHUTDOWN_TIMEOUT_MILLIS = 5000;

    private final CollectorConfig config;
    private final ServerTls tls;
    private final AlertJournal journal;
    private final IngestStats stats;
    private final BufferBudget budget;
    private final ConnectedAgents agents = new ConnectedAgents();
    private final FrameEncoder encoder = new FrameEncoder();
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private EventLoopGroup ioGroup;
    private volatile Channel serverChannel;
    private ExecutorService journalWriter;

    /** Listens on {@code config.listen()} with its limits ({@code maxFrameBytes}, timeouts, memory, seq gap). */
    public IngestServer(CollectorConfig config, ServerTls tls, AlertJournal journal, IngestStats stats) {
        this.config = config;
        this.tls = tls;
        this.journal = journal;
        this.stats = stats;
        this.budget = new BufferBudget(config.maxBufferedBytes());
    }

    /** Bytes of incoming frames and waiting batches held now, all connections together. */
    public long bufferedBytes() {
        return budget.used();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("hvwatch.collector.buffered.bytes", budget, BufferBudget::used)
                .description("Bytes of agents' frames received in part and of batches waiting for the journal, all "
                        + "connections together; at maxBufferedBytes further input is refused (overloaded)")
                .baseUnit("bytes").register(registry);
    }

    /** Binds and returns the bound address, whose port is the real one when port 0 was configured. */
    public InetSocketAddress start() throws IOException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        ioGroup = new MultiThreadIoEventLoopGroup(io);
        // Journal writes block, so they leave the I/O threads; one writer keeps them in order and never interleaved.
        journalWriter = Executors.newSingleThreadExecutor(new DefaultThreadFactory("journal-writer"));
        ChannelFuture bound = new ServerBootstrap()
                .group(ioGroup)
                .channel(channelType)
                // A restarted collector must get its port back while old connections linger in TIME_WAIT.
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channels.add(channel);
                        int maxFrameBytes = config.maxFrameBytes();
                        FrameDecoder decoder = new FrameDecoder(maxFrameBytes);
                        decoder.limit(Math.min(maxFrameBytes, IngestHandler.HELLO_FRAME_BYTES));
                        channel.pipeline()
                                .addLast("tls", tls.context().newHandler(channel.alloc()))
                                .addLast("idle", new ReadTimeoutHandler(config.idleTimeout().toMillis(),
                                        TimeUnit.MILLISECONDS))
                                .addLast("guard", new FrameGuard(decoder, budget, config.frameTimeout()))
                                .addLast("decoder", decoder)
                                .addLast("encoder", encoder)
                                .addLast("ingest", new IngestHandler(journal, journalWriter, stats, agents, budget,
                                        maxFrameBytes, config.maxSeqGap()));
                    }
                })
                .bind(config.listen().getHostString(), config.listen().getPort())
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            close();
            throw new IOException("cannot listen on " + config.listen().getHostString() + ":"
                    + config.listen().getPort() + ": "
                    + bound.cause().getMessage(), bound.cause());
        }
        serverChannel = bound.channel();
        channels.add(serverChannel);
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Whether agents can connect now: bound and not closed. */
    public boolean isListening() {
        Channel listening = serverChannel;
        return listening != null && listening.isActive();
    }

    /**
     * Closes the open connections whose client certificate the TLS files now in force revoke: a revocation must not
     * wait for the agent to reconnect.
     */
    public void closeRevokedConnections() {
        for (Channel channel : channels) {
            if (tls.isRevoked(channel)) {
                log.warn("closing connection of {}: its certificate is now revoked", channel.remoteAddress());
                stats.revokedConnectionClosed();
                channel.close();
            }
        }
    }

    /** Stops accepting, closes every connection and lets journal writes already under way finish. */
    @Override
    public void close() {
        if (ioGroup == null) {
            return;
        }
        channels.close().awaitUninterruptibly();
        ioGroup.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).awaitUninterruptibly();
        journalWriter.shutdown();
        try {
            if (!journalWriter.awaitTermination(SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                log.warn("journal writes still under way after {} ms", SHUTDOWN_TIMEOUT_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
