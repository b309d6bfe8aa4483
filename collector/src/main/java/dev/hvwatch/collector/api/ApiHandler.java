package dev.hvwatch.collector.api;

import dev.hvwatch.collector.api.ApiAuth.Refused;
import dev.hvwatch.collector.api.ApiAuth.Verdict;
import dev.hvwatch.collector.api.ApiParameters.AlertQuery;
import dev.hvwatch.collector.journal.JournalUnavailableException;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP connection of the API: checks each request, lets {@link ApiAuth} judge who asks, and answers it. Pages of
 * alerts are read on the query threads, off the event loop; while one is read, the next request on the connection
 * waits, so that answers keep the order of their requests. A stream request hands the connection to
 * {@link AlertStreams} for good.
 */
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String PATHS = Arrays.stream(Route.values()).map(Route::path)
            .collect(Collectors.joining(", "));

    private final ApiServer.Services services;
    /** Confined to the event loop: a page being read, and a request that came in meanwhile. */
    private boolean reading;
    private FullHttpRequest waiting;
    private boolean streaming;

    ApiHandler(ApiServer.Services services) {
        super(false);
        this.services = services;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (streaming) {
            // A stream's connection carries nothing else.
            request.release();
            return;
        }
        if (reading) {
            if (waiting != null) {
                request.release();
                ctx.close();
                return;
            }
            waiting = request;
            return;
        }
        timeouts(ctx).requestReceived();
        try {
            handle(ctx, request);
        } finally {
            request.release();
        }
    }

    private static RequestTimeouts timeouts(ChannelHandlerContext ctx) {
        return (RequestTimeouts) ctx.pipeline().get(RequestTimeouts.NAME);
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (request.decoderResult().isFailure()) {
            answer(ctx, Route.OTHER, false, Answers.error(HttpResponseStatus.BAD_REQUEST,
                    "not a well-formed HTTP request: " + request.decoderResult().cause().getMessage()));
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        Route route = Route.of(uri.rawPath());
        if (route == null) {
            answer(ctx, Route.OTHER, keepAlive, Answers.error(HttpResponseStatus.NOT_FOUND,
                    "no such path; the API serves " + PATHS));
            return;
        }
        if (!request.method().equals(HttpMethod.GET)) {
            FullHttpResponse refused = Answers.error(HttpResponseStatus.METHOD_NOT_ALLOWED, route.path()
                    + " answers GET only");
            refused.headers().set(HttpHeaderNames.ALLOW, HttpMethod.GET.name());
            answer(ctx, route.path(), keepAlive, refused);
            return;
        }
        Verdict verdict = services.auth().check(ctx.channel(), route.path(), request.headers());
        if (verdict instanceof Refused refused) {
            FullHttpResponse response = Answers.error(refused.status(), refused.reason());
            if (refused.status().equals(HttpResponseStatus.UNAUTHORIZED)) {
                response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"hvwatch\"");
            }
            log.info("refused {} {} from {}: {}", request.method(), route.path(), ctx.channel().remoteAddress(),
                    refused.reason());
            answer(ctx, route.path(), keepAlive, response);
            return;
        }
        Map<String, List<String>> params;
        try {
            params = uri.parameters();
        } catch (IllegalArgumentException e) {
            answer(ctx, route.path(), keepAlive, Answers.badParameter(
                    new BadParameter("query", "not a well-formed query string: " + e.getMessage())));
            return;
        }
        switch (route) {
            case HEALTHZ -> answer(ctx, route.path(), keepAlive,
                    Answers.json(HttpResponseStatus.OK, Map.of("status", "ok")));
            case READYZ -> answer(ctx, route.path(), keepAlive, readiness());
            case METRICS -> answer(ctx, route.path(), keepAlive,
                    Answers.text(HttpResponseStatus.OK, PROMETHEUS_TEXT, services.registry().scrape()));
            case ALERTS -> alerts(ctx, params, keepAlive);
            case STREAM -> stream(ctx, params, request);
        }
    }

    private FullHttpResponse readiness() {
        List<String> problems = services.notReady().get();
        if (problems.isEmpty()) {
            return Answers.json(HttpResponseStatus.OK, Map.of("status", "ready"));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "not ready");
        body.put("reasons", problems);
        return Answers.json(HttpResponseStatus.SERVICE_UNAVAILABLE, body);
    }

    private void alerts(ChannelHandlerContext ctx, Map<String, List<String>> params, boolean keepAlive) {
        String route = Route.ALERTS.path();
        AlertQuery query;
        try {
            query = ApiParameters.alerts(params);
        } catch (BadParameter bad) {
            answer(ctx, route, keepAlive, Answers.badParameter(bad));
            return;
        }
        reading = true;
        try {
            services.queries().execute(() -> {
                FullHttpResponse response = readPage(ctx, query);
                ctx.executor().execute(() -> {
                    answer(ctx, route, keepAlive, response);
                    reading = false;
                    takeWaiting(ctx);
                });
            });
        } catch (RejectedExecutionException e) {
            reading = false;
            answer(ctx, route, keepAlive, Answers.error(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "too many queries at once; try again shortly"));
        }
    }

    /** On a query thread. */
    private FullHttpResponse readPage(ChannelHandlerContext ctx, AlertQuery query) {
        Timer.Sample sample = Timer.start();
        try {
            return Answers.page(ctx.alloc(), services.pages().read(query));
        } catch (BadParameter bad) {
            return Answers.badParameter(bad);
        } catch (JournalUnavailableException e) {
            return Answers.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "the journal is unavailable: "
                    + e.getMessage());
        } catch (RuntimeException e) {
            log.error("reading a page of alerts failed", e);
            return Answers.error(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "the journal could not be read: " + e.getMessage());
        } finally {
            sample.stop(services.metrics().pageReads());
        }
    }

    private void takeWaiting(ChannelHandlerContext ctx) {
        FullHttpRequest next = waiting;
        waiting = null;
        if (next != null) {
            channelRead0(ctx, next);
        }
    }

    private void stream(ChannelHandlerContext ctx, Map<String, List<String>> params, FullHttpRequest request) {
        ApiParameters.StreamQuery query;
        try {
            query = ApiParameters.stream(params, request.headers().get(ApiParameters.LAST_EVENT_ID));
        } catch (BadParameter bad) {
            answer(ctx, Route.STREAM.path(), false, Answers.badParameter(bad));
            return;
        }
        streaming = true;
        timeouts(ctx).streaming();
        services.streams().open(ctx.channel(), query);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (streaming) {
            services.streams().wake();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (streaming) {
            services.streams().wake();
        }
        if (waiting != null) {
            waiting.release();
            waiting = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || cause instanceof DecoderException) {
            // Resets and failed TLS handshakes are the client's business; the handshake is counted by the server.
            log.debug("API connection of {} failed", ctx.channel().remoteAddress(), cause);
        } else {
            log.warn("closing API connection of {} after an unexpected error", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    private void answer(ChannelHandlerContext ctx, String route, boolean keepAlive, FullHttpResponse response) {
        services.metrics().answered(route, response.status().code());
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        } else {
            written.addListener(done -> timeouts(ctx).answered());
        }
    }
}
