package dev.hvwatch.collector.ingest;

import dev.hvwatch.protocol.wire.FrameDecoder;
import dev.hvwatch.protocol.wire.RefusalReason;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Watches what the frame decoder behind it holds of a frame not yet complete: charges it to the {@link BufferBudget}
 * shared by every connection (refusing the connection, overloaded, when it does not fit), and gives each frame a
 * deadline from its first byte. The deadline is per frame, not per read: a peer that sends a byte now and then keeps
 * a connection from being idle, but cannot keep a frame open past {@code frameTimeout}.
 */
final class FrameGuard extends ChannelInboundHandlerAdapter {
    private final FrameDecoder decoder;
    private final BufferBudget budget;
    private final long frameTimeoutNanos;
    private final String frameTimeout;
    /** Bytes of the partial frame charged to the budget; confined to the event loop, like all of this. */
    private long held;
    private long framesSeen;
    private ScheduledFuture<?> deadline;

    FrameGuard(FrameDecoder decoder, BufferBudget budget, Duration frameTimeout) {
        this.decoder = decoder;
        this.budget = budget;
        this.frameTimeoutNanos = frameTimeout.toNanos();
        this.frameTimeout = frameTimeout.toMillis() + " ms";
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ctx.fireChannelRead(msg);
        account(ctx);
    }

    /** The decoder tidies its buffer when a read completes, which changes what it holds. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.fireChannelReadComplete();
        account(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseAll();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseAll();
    }

    private void account(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        long buffered = decoder.bufferedBytes();
        long more = buffered - held;
        if (more > 0 && !budget.tryReserve(more)) {
            ctx.fireExceptionCaught(new Refusal(RefusalReason.OVERLOADED, "the collector holds " + budget.used()
                    + " bytes of incoming data, its limit (maxBufferedBytes) is " + budget.limit()
                    + "; try again later"));
            return;
        }
        if (more < 0) {
            budget.release(-more);
        }
        held = buffered;
        long frames = decoder.framesDecoded();
        boolean frameCompleted = frames != framesSeen;
        framesSeen = frames;
        if (deadline != null && (frameCompleted || held == 0)) {
            deadline.cancel(false);
            deadline = null;
        }
        if (held > 0 && deadline == null) {
            deadline = ctx.executor().schedule(() -> expire(ctx), frameTimeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        deadline = null;
        if (ctx.channel().isActive()) {
            ctx.fireExceptionCaught(new Refusal(RefusalReason.FRAME_TIMEOUT, "no frame completed within "
                    + frameTimeout + " of its first byte (" + held + " bytes of it received)"));
        }
    }

    private void releaseAll() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
        budget.release(held);
        held = 0;
    }
}
