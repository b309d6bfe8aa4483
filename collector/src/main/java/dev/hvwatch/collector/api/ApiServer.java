package dev.hvwatch.collector.api;

import dev.hvwatch.collector.api.ApiMetrics.StreamEnd;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.tls.ServerTls;
import dev.hvwatch.protocol.config.ConfigException;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's one HTTP listener ({@code api.listen}, default 127.0.0.1:9848), HTTPS when {@code api.tls} is set:
 * {@code /healthz}, {@code /readyz}, {@code /metrics}, {@code /api/v1/alerts} and {@code /api/v1/stream}. The
 * pipeline per connection: TLS, HTTP codec, a small request aggregator (requests are GETs), an idle timeout, then
 * {@link ApiHandler}. Pages are read on {@value #QUERY_THREADS} query threads, streams on one pump thread, so that
 * neither ever runs on ingest's threads or on this server's event loop.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final int IO_THREADS = 2;
    private static final int QUERY_THREADS = 2;
    private static final int QUERIES_WAITING = 64;
    private static final int MAX_INITIAL_LINE = 8192;
    private static final int MAX_HEADERS = 8192;
    private static final int MAX_REQUEST_BYTES = 8192;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(IO_THREADS,
            new DefaultThreadFactory("api-http"), NioIoHandler.newFactory());
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final ServerTls tls;
    private final ApiTokens tokens;
    private final ExecutorService queries;
    private final AlertStreams streams;
    private final AtomicLong handshakeFailures = new AtomicLong();
    private final AtomicLong headerTimeouts = new AtomicLong();
    private final AtomicLong tokenReloadFailures = new AtomicLong();
    private final Channel server;

    /** What every connection's handler shares. */
    record Services(ApiAuth auth, AlertPages pages, ExecutorService queries, AlertStreams streams,
            PrometheusMeterRegistry registry, Supplier<List<String>> notReady, ApiMetrics metrics) {
    }

    private ApiServer(CollectorConfig.Api config, Material material, AlertJournal journal,
            PrometheusMeterRegistry registry, Supplier<List<String>> notReady) throws IOException {
        this.tls = material.tls;
        this.tokens = material.tokens;
        ApiMetrics metrics = new ApiMetrics(registry);
        this.queries = new ThreadPoolExecutor(QUERY_THREADS, QUERY_THREADS, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUERIES_WAITING), new DefaultThreadFactory("api-query", true));
        this.streams = new AlertStreams(journal, config.stream(), metrics);
        registerCounters(registry);
        Services services = new Services(new ApiAuth(tokens, config.clientNames(), config.openOnLoopback()),
                new AlertPages(journal), queries, streams, registry, notReady, metrics);
        try {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            channels.add(channel);
                            if (tls != null) {
                                channel.pipeline().addLast("tls", tls.context().newHandler(channel.alloc()))
                                        .addLast("handshake", new HandshakeCounter());
                            }
                            channel.pipeline()
                                    .addLast(RequestTimeouts.NAME, new RequestTimeouts(config.headerTimeout(),
                                            config.idleTimeout(), headerTimeouts))
                                    .addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, MAX_HEADERS))
                                    .addLast("aggregate", new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                    .addLast("api", new ApiHandler(services));
                        }
                    })
                    .bind(config.listen().getHostString(), config.listen().getPort()).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            close();
            throw new IOException("api cannot listen on " + config.listen().getHostString() + ":"
                    + config.listen().getPort() + ": " + e.getMessage(), e);
        }
        if (tokens.size() == 0 && config.clientNames().isEmpty()) {
            log.warn("api: neither api.tokens nor api.clientNames is configured, so /api/v1 refuses every request");
        }
    }

    /** The API's TLS material and tokens, loaded: a failure is a configuration error. */
    private record Material(ServerTls tls, ApiTokens tokens) {
        static Material load(CollectorConfig.Api config) throws ConfigException {
            ServerTls tls = null;
            if (config.tls() != null) {
                try {
                    tls = ServerTls.load(config.tls(), ClientAuth.OPTIONAL);
                } catch (IOException | GeneralSecurityException e) {
                    throw new ConfigException("api.tls: " + e.getMessage(), e);
                }
            }
            return new Material(tls, config.tokens() == null ? ApiTokens.none() : ApiTokens.load(config.tokens()));
        }
    }

    /** Loads the TLS files and the tokens file {@code config} names, as the server would, and drops them. */
    public static void checkFiles(CollectorConfig.Api config) throws ConfigException {
        Material.load(config);
    }

    /**
     * Starts serving; the journal's appends must be passed to {@link #journaled} for streams to see them at once.
     *
     * @param notReady what keeps the collector from taking alerts now, empty when it is ready
     */
    public static ApiServer start(CollectorConfig.Api config, AlertJournal journal, PrometheusMeterRegistry registry,
            Supplier<List<String>> notReady) throws IOException {
        Material material;
        try {
            material = Material.load(config);
        } catch (ConfigException e) {
            throw new IOException(e.getMessage(), e);
        }
        return new ApiServer(config, material, journal, registry, notReady);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** The journal took an alert: live streams have something to send. */
    public void journaled() {
        streams.wake();
    }

    /**
     * Loads changed {@code api.tls} files, and closes the connections of clients whose certificate a changed
     * revocation list names. Files that do not load are refused, counted, and the previous ones stay in force.
     */
    public void reloadTlsIfChanged() {
        if (tls != null && tls.reloadIfChanged()) {
            for (Channel channel : channels) {
                if (tls.isRevoked(channel)) {
                    log.warn("closing API connection of {}: its certificate is now revoked", channel.remoteAddress());
                    channel.attr(StreamClient.ENDED_BY).setIfAbsent(StreamEnd.REVOKED);
                    channel.close();
                }
            }
        }
    }

    /** Loads a changed {@code api.tokens} file; one that does not load is refused, counted, and the old tokens stay. */
    public void reloadTokensIfChanged() {
        try {
            tokens.reloadIfChanged();
        } catch (ConfigException e) {
            tokenReloadFailures.incrementAndGet();
            log.error("changed API tokens not loaded, the previous ones stay in force: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        streams.close();
        channels.close().awaitUninterruptibly();
        queries.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void registerCounters(PrometheusMeterRegistry registry) {
        FunctionCounter.builder("hvwatch.collector.api.handshake.failures", handshakeFailures, AtomicLong::get)
                .description("TLS handshakes of API clients that failed; the connection was closed")
                .register(registry);
        FunctionCounter.builder("hvwatch.collector.api.header.timeouts", headerTimeouts, AtomicLong::get)
                .description("API requests not complete within api.headerTimeout of their first byte; answered 408 "
                        + "and closed").register(registry);
        FunctionCounter.builder("hvwatch.collector.api.tokens.reloads", tokens, ApiTokens::reloads)
                .description("Changed api.tokens files loaded without a restart").register(registry);
        FunctionCounter.builder("hvwatch.collector.api.tokens.reload.failures", tokenReloadFailures, AtomicLong::get)
                .description("Changed api.tokens files refused; the previous tokens stayed in force")
                .register(registry);
        if (tls != null) {
            FunctionCounter.builder("hvwatch.collector.api.tls.reloads", tls, ServerTls::reloads)
                    .description("Changed api.tls files loaded without a restart").register(registry);
            FunctionCounter.builder("hvwatch.collector.api.tls.reload.failures", tls, ServerTls::reloadFailures)
                    .description("Changed api.tls files refused; the previous ones stayed in force")
                    .register(registry);
        }
    }

    /** Counts failed handshakes; Netty's TLS handler closes the connection itself. */
    private final class HandshakeCounter extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
                handshakeFailures.incrementAndGet();
                Throwable cause = done.cause();
                while (cause.getCause() != null && cause.getCause() != cause) {
                    cause = cause.getCause();
                }
                log.info("TLS handshake of API client {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            }
            ctx.fireUserEventTriggered(event);
        }
    }
}
