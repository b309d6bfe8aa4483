package dev.hvwatch.agent.ship;

import dev.hvwatch.agent.spool.Spool;
import dev.hvwatch.agent.spool.SpoolReader;
import dev.hvwatch.protocol.EncodedAlert;
import dev.hvwatch.protocol.wire.Frame;
import dev.hvwatch.protocol.wire.ProtocolException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to the collector: HELLO once TLS is up, carrying the seq acknowledged so far; on WELCOME, resume
 * after whichever is further, that seq or the collector's; then stream batches from the spool, up to
 * {@value #WINDOW} unacknowledged at a time and only while the socket is writable, so that a slow collector slows the
 * sending (never the spooling). All of it runs on the connection's event loop.
 */
final class ShipperHandler extends SimpleChannelInboundHandler<Frame> {
    /** Batches in flight; the collector journals up to this many per connection before it stops reading. */
    static final int WINDOW = 4;
    private static final Logger log = LoggerFactory.getLogger(ShipperHandler.class);

    private final AlertShipper shipper;
    private final Spool spool;
    private final SpoolReader reader;
    private final int batchSize;
    /** The last seq of each batch sent and not yet acknowledged, oldest first. */
    private final Deque<Long> inFlight = new ArrayDeque<>(WINDOW);
    private ChannelHandlerContext ctx;
    private boolean welcomed;
    private boolean refused;
    private long lastAck;

    ShipperHandler(AlertShipper shipper, Spool spool, SpoolReader reader, int batchSize) {
        this.shipper = shipper;
        this.spool = spool;
        this.reader = reader;
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
                context.writeAndFlush(new Frame.Hello(shipper.agent(), spool.settledSeq()))
                        .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            } else {
                String refusal = ShipRefusals.of(handshake.cause());
                if (refusal != null) {
                    refused = true;
                    shipper.refused(refusal, rootCause(handshake.cause()));
                } else {
                    log.warn("TLS handshake with collector {} failed: {}", shipper.endpoint(),
                            rootCause(handshake.cause()));
                }
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
            shipper.progressed();
            onAck(ack.seq());
        } else if (frame instanceof Frame.Refuse refusal) {
            refused = true;
            shipper.refused(refusal.reason().label(), refusal.message());
            context.close();
        } else if (frame instanceof Frame.Heartbeat) {
            if (welcomed) {
                shipper.progressed();
            }
        } else {
            throw new ProtocolException(ProtocolException.Reason.UNEXPECTED_FRAME,
                    "unexpected " + frame.type() + " from the collector");
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext context) {
        sendBatches();
        context.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        shipper.disconnected(this);
        context.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        String refusal = refused ? null : ShipRefusals.of(cause);
        if (refusal != null) {
            // TLS 1.3 finishes the client's handshake first; the collector's verdict on the certificate follows.
            refused = true;
            shipper.refused(refusal, rootCause(cause));
        } else if (refused) {
            log.debug("after the collector's refusal: {}", cause.toString());
        } else if (cause instanceof IOException) {
            log.info("connection to collector {} lost: {}", shipper.endpoint(), cause.getMessage());
        } else if (!(cause.getCause() instanceof SSLException)) {
            // Handshake failures were logged with their completion event.
            log.warn("closing connection to collector {}: {}", shipper.endpoint(), cause.toString());
        }
        context.close();
    }

    private void onWelcome(long lastJournaled) {
        welcomed = true;
        // A collector that holds seqs this spool never assigned outlived a reset spool; see Spool#continueAfter.
        spool.continueAfter(lastJournaled);
        spool.acknowledge(lastJournaled);
        lastAck = spool.settledSeq();
        reader.seekAfter(lastAck);
        shipper.welcomed();
        sendBatches();
    }

    private void onAck(long seq) {
        if (seq < lastAck) {
            throw new ProtocolException(ProtocolException.Reason.UNEXPECTED_FRAME,
                    "ACK of seq " + seq + " after an ACK of " + lastAck);
        }
        lastAck = seq;
        while (!inFlight.isEmpty() && inFlight.peekFirst() <= seq) {
            inFlight.removeFirst();
        }
        spool.acknowledge(seq);
        shipper.acknowledged(seq);
        sendBatches();
    }

    /** Sends batches until the window is full, the socket is not writable or the spool has no more. */
    void sendBatches() {
        if (!welcomed || !ctx.channel().isActive()) {
            return;
        }
        boolean sent = false;
        while (inFlight.size() < WINDOW && ctx.channel().isWritable()) {
            List<EncodedAlert> batch = reader.next(batchSize, spool.settledSeq());
            if (batch.isEmpty()) {
                break;
            }
            inFlight.addLast(batch.get(batch.size() - 1).alert().seq());
            ctx.write(new Frame.Alerts(batch)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            sent = true;
        }
        if (sent) {
            ctx.flush();
        }
    }

    private static String rootCause(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.toString();
    }
}
