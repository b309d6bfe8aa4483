package dev.hvwatch.agent.ship;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.wire.Frame;
import dev.hvwatch.protocol.wire.ProtocolException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.util.List;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to the collector: HELLO once TLS is up, resume after the WELCOME's seq, then one ALERTS batch at a
 * time, each sent once the previous one is acknowledged. All of it runs on the connection's event loop.
 */
final class ShipperHandler extends SimpleChannelInboundHandler<Frame> {
    private static final Logger log = LoggerFactory.getLogger(ShipperHandler.class);

    private final AlertShipper shipper;
    private final Outbox outbox;
    private final int batchSize;
    private ChannelHandlerContext ctx;
    private boolean welcomed;
    /** The highest seq the collector has confirmed on this connection. */
    private long acknowledged;
    /** The highest seq sent on this connection; above {@link #acknowledged} while a batch is in flight. */
    private long sent;

    ShipperHandler(AlertShipper shipper, Outbox outbox, int batchSize) {
        this.shipper = shipper;
        this.outbox = outbox;
        this.batchSize = batchSize;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        ctx = context;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object event) {
        if (event instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess()) {
                context.writeAndFlush(new Frame.Hello(shipper.agent(), shipper.acknowledgedSeq()))
                        .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            } else {
                log.warn("TLS handshake with collector {} failed: {}", shipper.endpoint(),
                        rootCause(handshake.cause()));
                context.close();
            }
        } else if (event instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.READER_IDLE) {
                log.warn("collector {} silent for too long; reconnecting", shipper.endpoint());
                context.close();
            } else {
                context.writeAndFlush(new Frame.Heartbeat()).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            }
        }
        context.fireUserEventTriggered(event);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext context, Frame frame) {
        if (frame instanceof Frame.Welcome welcome && !welcomed) {
            onWelcome(welcome.lastJournaledSeq());
        } else if (frame instanceof Frame.Ack ack && welcomed) {
            onAck(ack.seq());
        } else if (!(frame instanceof Frame.Heartbeat)) {
            throw new ProtocolException(ProtocolException.Reason.UNEXPECTED_FRAME,
                    "unexpected " + frame.type() + " from the collector");
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        shipper.disconnected(this);
        context.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        if (cause instanceof IOException) {
            log.info("connection to collector {} lost: {}", shipper.endpoint(), cause.getMessage());
        } else if (!(cause.getCause() instanceof SSLException)) {
            // Handshake failures were logged with their completion event.
            log.warn("closing connection to collector {}: {}", shipper.endpoint(), cause.toString());
        }
        context.close();
    }

    private void onWelcome(long lastJournaled) {
        welcomed = true;
        acknowledged = lastJournaled;
        sent = lastJournaled;
        shipper.welcomed(lastJournaled);
        sendNextBatch();
    }

    private void onAck(long seq) {
        if (seq < sent) {
            throw new ProtocolException(ProtocolException.Reason.UNEXPECTED_FRAME,
                    "ACK of seq " + seq + " while seqs up to " + sent + " were sent");
        }
        acknowledged = seq;
        sent = seq;
        outbox.acknowledge(seq);
        shipper.acknowledged(seq);
        sendNextBatch();
    }

    /** Sends the next batch unless one is in flight; on the event loop, after an ACK or new alerts. */
    void sendNextBatch() {
        if (!welcomed || sent > acknowledged || !ctx.channel().isActive()) {
            return;
        }
        List<Alert> batch = outbox.after(acknowledged, batchSize);
        if (batch.isEmpty()) {
            return;
        }
        sent = batch.get(batch.size() - 1).seq();
        ctx.writeAndFlush(new Frame.Alerts(batch)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private static String rootCause(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.toString();
    }
}
