package dev.hvwatch.collector.api;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The two clocks of an API connection, placed before the HTTP codec so that it sees every byte. Waiting for a
 * request (just connected, or after an answer on a kept-alive connection), the connection may stay silent for
 * {@code idleTimeout}. Once the first byte of a request arrives, the whole request must follow within
 * {@code headerTimeout}, however slowly its bytes trickle in: a client that never finishes its headers gets 408 and
 * is closed, instead of holding its connection for as long as it likes. While a request is answered, and for good
 * once it became a live stream, neither clock runs. {@link ApiHandler} tells it where the connection stands.
 */
final class RequestTimeouts extends ChannelInboundHandlerAdapter {
    static final String NAME = "timeouts";

    private enum Phase { WAITING, RECEIVING, ANSWERING, STREAMING }

    private final long headerTimeoutNanos;
    private final long idleTimeoutNanos;
    private final AtomicLong headerTimeouts;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.WAITING;
    private ScheduledFuture<?> clock;

    RequestTimeouts(Duration headerTimeout, Duration idleTimeout, AtomicLong headerTimeouts) {
        this.headerTimeoutNanos = headerTimeout.toNanos();
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.headerTimeouts = headerTimeouts;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        ctx = context;
        if (context.channel().isActive()) {
            waitForRequest();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext context) {
        waitForRequest();
        context.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (phase == Phase.WAITING) {
            phase = Phase.RECEIVING;
            start(headerTimeoutNanos, this::requestTooSlow);
        }
        context.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        stop();
        context.fireChannelInactive();
    }

    /** A whole request arrived: no clock while it is answered. */
    void requestReceived() {
        if (phase != Phase.STREAMING) {
            phase = Phase.ANSWERING;
            stop();
        }
    }

    /** The answer is out and the connection stays open: wait for the next request. */
    void answered() {
        if (phase == Phase.ANSWERING) {
            waitForRequest();
        }
    }

    /** The connection became a live stream, silent from the client's side for as long as it lasts. */
    void streaming() {
        phase = Phase.STREAMING;
        stop();
    }

    private void waitForRequest() {
        if (phase == Phase.STREAMING) {
            return;
        }
        phase = Phase.WAITING;
        start(idleTimeoutNanos, () -> ctx.close());
    }

    private void requestTooSlow() {
        headerTimeouts.incrementAndGet();
        FullHttpResponse timeout = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.REQUEST_TIMEOUT, Unpooled.EMPTY_BUFFER);
        timeout.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        // Written below the HTTP codec's encoder would be wrong; from the tail the pipeline encodes it.
        ctx.channel().writeAndFlush(timeout).addListener(ChannelFutureListener.CLOSE);
    }

    private void start(long nanos, Runnable expiry) {
        stop();
        clock = ctx.executor().schedule(() -> {
            clock = null;
            if (ctx.channel().isActive()) {
                expiry.run();
            }
        }, nanos, TimeUnit.NANOSECONDS);
    }

    private void stop() {
        if (clock != null) {
            clock.cancel(false);
            clock = null;
        }
    }
}
