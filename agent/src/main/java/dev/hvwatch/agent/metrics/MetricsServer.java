package dev.hvwatch.agent.metrics;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET /metrics} to many clients at once, each held to deadlines: a client must send its whole request
 * within {@link Limits#requestTimeout} of connecting (or of its previous response), and a keep-alive connection
 * that sends nothing for {@link Limits#idleTimeout} is closed; at most {@link Limits#maxConnections} are open. Netty
 * rather than the JDK's HttpServer, whose one dispatcher thread and missing header timeout let one client that
 * never finishes its request stall every scrape. Optional TLS and basic auth come from a {@link WebConfig}; the
 * bcrypt check and the scrape run on two worker threads, off the I/O thread.
 *
 * <p>Refused and closed connections are counted in {@code hvwatch_metrics_http_rejected_total{reason}}:
 * {@code timeout}, {@code limit} (at the limit with no idle keep-alive connection to close instead),
 * {@code unauthorized}, {@code tls} (a failed handshake), {@code bad_request}.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final int MAX_REQUEST_BYTES = 16 * 1024;
    private static final int MIN_SCRAPE_BYTES = 16 * 1024;

    /** @param maxConnections connections open at once; more are closed at once */
    public record Limits(Duration requestTimeout, Duration idleTimeout, int maxConnections) {
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(10), Duration.ofSeconds(60), 64);
    }

    private final AgentMetrics metrics;
    private final WebConfig web;
    private final Limits limits;
    private final EventLoopGroup io = new NioEventLoopGroup(1, named("hvwatch-metrics-io"));
    private final EventExecutorGroup workers = new DefaultEventExecutorGroup(2, named("hvwatch-metrics-http"));
    private final ChannelGroup open = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    /** Keep-alive connections between a response and the next request: the first to go when the limit is hit. */
    private final Set<Channel> idle = ConcurrentHashMap.newKeySet();
    private final Map<String, LongAdder> rejected = new ConcurrentHashMap<>();
    private final Channel server;
    private final boolean tlsEnabled;
    /** The size of the latest exposition: the next one's first guess. Written by the two workers, racily: a guess. */
    private volatile int lastScrapeBytes = MIN_SCRAPE_BYTES;

    public MetricsServer(InetSocketAddress address, AgentMetrics metrics) throws InterruptedException {
        this(address, metrics, new WebConfig(null, null), null, Limits.DEFAULT);
    }

    /** @param tls the context built from {@code web}'s tls_server_config, or null for plain HTTP */
    public MetricsServer(InetSocketAddress address, AgentMetrics metrics, WebConfig web, SslContext tls,
                         Limits limits) throws InterruptedException {
        this.metrics = metrics;
        this.web = web;
        this.limits = limits;
        this.tlsEnabled = tls != null;
        for (String reason : new String[] {"timeout", "limit", "unauthorized", "tls", "bad_request"}) {
            metrics.bindCounter("hvwatch.metrics.http.rejected", "Requests and connections of /metrics refused or "
                    + "closed, by reason", this, s -> s.rejected(reason), "reason", reason);
        }
        server = new ServerBootstrap().group(io).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (open.size() >= limits.maxConnections() && !evictIdle()) {
                            count("limit");
                            ch.close();
                            return;
                        }
                        open.add(ch);
                        ChannelPipeline p = ch.pipeline();
                        if (tls != null) {
                            p.addLast(tls.newHandler(ch.alloc()));
                        }
                        p.addLast(new HttpServerCodec(4096, 8192, 8192));
                        p.addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES));
                        p.addLast(new Deadline());
                        p.addLast(workers, new Responder());
                    }
                })
                .bind(address).sync().channel();
    }

    /** {@code https} when a TLS context was given, else {@code http}. */
    public String scheme() {
        return tlsEnabled ? "https" : "http";
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    long rejected(String reason) {
        LongAdder n = rejected.get(reason);
        return n == null ? 0 : n.sum();
    }

    /**
     * Closes one keep-alive connection that waits for its next request, to make room: clients that open a new
     * connection per scrape (and leave the old ones to the idle timeout) must not lock the others out.
     */
    private boolean evictIdle() {
        for (Channel c : idle) {
            if (idle.remove(c)) {
                c.close();
                return true;
            }
        }
        return false;
    }

    private void count(String reason) {
        rejected.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        open.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        // Both at once, with a quiet period: a closed channel's pipeline is taken down by tasks that go back and
        // forth between the I/O loop and the workers.
        io.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS);
        workers.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS);
        io.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /**
     * Closes the connection unless a whole request arrives in time: armed with the request timeout when the
     * connection opens (so a stalled TLS handshake counts too), cancelled by a complete request, re-armed with the
     * idle timeout once its response is written. On the I/O thread, behind the aggregator.
     */
    private final class Deadline extends ChannelDuplexHandler {
        private ScheduledFuture<?> timer;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            arm(ctx, limits.requestTimeout());
            super.channelActive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof FullHttpRequest) {
                idle.remove(ctx.channel());
                cancel();
            }
            super.channelRead(ctx, msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof FullHttpResponse) {
                promise.addListener(f -> {
                    if (f.isSuccess() && ctx.channel().isActive()) {
                        idle.add(ctx.channel());
                        arm(ctx, limits.idleTimeout());
                    }
                });
            }
            super.write(ctx, msg, promise);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            idle.remove(ctx.channel());
            cancel();
            super.channelInactive(ctx);
        }

        private void arm(ChannelHandlerContext ctx, Duration after) {
            cancel();
            timer = ctx.executor().schedule(() -> {
                count("timeout");
                ctx.close();
            }, after.toNanos(), TimeUnit.NANOSECONDS);
        }

        private void cancel() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }
    }

    private final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws IOException {
            FullHttpResponse response = respond(ctx, request);
            boolean keepAlive = HttpUtil.isKeepAlive(request) && response.status().code() < 400;
            HttpUtil.setKeepAlive(response, keepAlive);
            ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
                if (!keepAlive || !f.isSuccess()) {
                    f.channel().close();
                }
            });
        }

        private FullHttpResponse respond(ChannelHandlerContext ctx, FullHttpRequest request) throws IOException {
            if (!request.decoderResult().isSuccess()) {
                count("bad_request");
                return text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
            }
            if (!authorized(request)) {
                count("unauthorized");
                FullHttpResponse r = text(HttpResponseStatus.UNAUTHORIZED, "unauthorized\n");
                r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"hvwatch agent\"");
                return r;
            }
            String path = request.uri().split("\\?", 2)[0];
            if (!path.equals("/metrics")) {
                return text(HttpResponseStatus.NOT_FOUND, "hvwatch agent: metrics are at /metrics\n");
            }
            if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
                return text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n");
            }
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, scrape(ctx));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE);
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
            if (request.method().equals(HttpMethod.HEAD)) {
                int length = r.content().readableBytes();
                r.content().clear();
                r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, length);
            }
            return r;
        }

        /**
         * The exposition written by the registry straight into the response's buffer, sized like the last one: no
         * string of it and no second encoding (the series of a large host are some hundred kilobytes a scrape).
         */
        private ByteBuf scrape(ChannelHandlerContext ctx) throws IOException {
            ByteBuf body = ctx.alloc().buffer(lastScrapeBytes);
            try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
                metrics.scrape(out);
            } catch (IOException | RuntimeException e) {
                body.release();
                throw e;
            }
            lastScrapeBytes = Math.max(body.readableBytes(), MIN_SCRAPE_BYTES);
            return body;
        }

        /** A failed TLS handshake, a reset connection: counted, logged at debug level, closed. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            boolean tls = cause instanceof DecoderException && cause.getCause() instanceof SSLException;
            count(tls ? "tls" : "bad_request");
            LOG.debug("/metrics connection from {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }

        private boolean authorized(FullHttpRequest request) {
            if (web.basicAuthUsers().isEmpty()) {
                return true;
            }
            String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
            if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
                return false;
            }
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return false;
            }
            int colon = decoded.indexOf(':');
            return colon > 0 && web.passwordMatches(decoded.substring(0, colon), decoded.substring(colon + 1));
        }
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        return r;
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
