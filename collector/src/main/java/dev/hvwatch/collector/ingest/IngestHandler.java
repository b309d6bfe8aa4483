package dev.hvwatch.collector.ingest;

import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.EncodedAlert;
import dev.hvwatch.protocol.tls.PeerIdentity;
import dev.hvwatch.protocol.wire.Frame;
import dev.hvwatch.protocol.wire.ProtocolException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.ReadTimeoutException;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent connection, above TLS and framing: takes the agent's identity from its certificate, answers HELLO, checks
 * and journals ALERTS, and acknowledges them only once they are journaled. Any breach of the protocol closes the
 * connection; the agent reconnects and resends whatever was not acknowledged.
 *
 * <p>Flow control: up to {@value #MAX_BATCHES_QUEUED} batches of one connection wait for the journal; beyond that
 * the connection stops reading, TCP's window fills, and the agent's sends slow down to the journal's pace.
 */
final class IngestHandler extends SimpleChannelInboundHandler<Frame> {
    static final int MAX_BATCHES_QUEUED = 4;
    private static final Logger log = LoggerFactory.getLogger(IngestHandler.class);

    private final AlertJournal journal;
    private final Executor journalWriter;
    private final IngestStats stats;
    private String identity;
    private boolean welcomed;
    /** Batches handed to the journal writer and not yet acknowledged; confined to the event loop. */
    private int batchesQueued;

    IngestHandler(AlertJournal journal, Executor journalWriter, IngestStats stats) {
        this.journal = journal;
        this.journalWriter = journalWriter;
        this.stats = stats;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        stats.connectionOpened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stats.connectionClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess()) {
                identify(ctx);
            } else {
                HandshakeFailures.Failure failure = HandshakeFailures.classify(handshake.cause());
                stats.handshakeFailed(failure.reason());
                log.warn("TLS handshake with {} failed ({}): {}", ctx.channel().remoteAddress(),
                        failure.reason().label(), failure.detail());
                ctx.close();
            }
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
        if (frame instanceof Frame.Hello hello) {
            onHello(ctx, hello);
        } else if (frame instanceof Frame.Alerts alerts) {
            onAlerts(ctx, alerts.encoded());
        } else if (frame instanceof Frame.Heartbeat) {
            // Echoed, so that the agent can tell a live collector from a dead connection.
            ctx.writeAndFlush(frame);
        } else {
            throw unexpected(frame.type() + " is sent by collectors, not agents");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof ProtocolException rejected) {
            stats.frameRejected(rejected.reason());
            log.warn("closing connection of {}: {} ({})", peer(ctx), rejected.getMessage(), rejected.reason().label());
        } else if (cause instanceof ReadTimeoutException) {
            stats.idleTimeout();
            log.info("closing connection of {}: silent for the idle timeout", peer(ctx));
        } else if (cause.getCause() instanceof SSLException || cause instanceof IOException) {
            // Handshake failures are counted and logged with their completion event; resets need no stack trace.
            log.debug("connection of {} failed", peer(ctx), cause);
        } else {
            log.warn("closing connection of {} after an unexpected error", peer(ctx), cause);
        }
        ctx.close();
    }

    private void identify(ChannelHandlerContext ctx) {
        try {
            identity = PeerIdentity.of(ctx.pipeline().get(SslHandler.class).engine().getSession());
        } catch (SSLPeerUnverifiedException e) {
            stats.handshakeFailed(IngestStats.HandshakeFailure.NO_IDENTITY);
            log.warn("refusing {}: {}", ctx.channel().remoteAddress(), e.getMessage());
            ctx.close();
        }
    }

    private void onHello(ChannelHandlerContext ctx, Frame.Hello hello) {
        if (identity == null || welcomed) {
            throw unexpected(identity == null ? "HELLO before the TLS handshake" : "second HELLO");
        }
        welcomed = true;
        long lastSeq = journal.lastSeq(identity);
        log.info("agent {} connected from {}, resuming after {} (journal holds up to {})", identity,
                ctx.channel().remoteAddress(), hello.resumeAfter(), lastSeq);
        ctx.writeAndFlush(new Frame.Welcome(lastSeq));
    }

    private void onAlerts(ChannelHandlerContext ctx, List<EncodedAlert> alerts) {
        if (!welcomed) {
            throw unexpected("ALERTS before HELLO");
        }
        alerts.forEach(encoded -> checkAttribution(encoded.alert()));
        if (++batchesQueued >= MAX_BATCHES_QUEUED) {
            ctx.channel().config().setAutoRead(false);
        }
        String agent = identity;
        journalWriter.execute(() -> journal(ctx, agent, alerts));
    }

    /** On the journal writer's thread, which keeps blocking file I/O off the event loop. */
    private void journal(ChannelHandlerContext ctx, String agent, List<EncodedAlert> alerts) {
        if (!ctx.channel().isActive()) {
            // Not acknowledged, so the agent sends the batch again on its next connection.
            return;
        }
        AlertJournal.Appended appended;
        try {
            appended = journal.append(alerts);
        } catch (RuntimeException e) {
            stats.journalFailed();
            log.error("cannot journal alerts of {}; closing so that the agent resends them", agent, e);
            ctx.close();
            return;
        }
        stats.journaled(appended.written(), appended.skipped());
        long journaled = journal.lastSeq(agent);
        ctx.executor().execute(() -> acknowledge(ctx, journaled));
    }

    private void acknowledge(ChannelHandlerContext ctx, long seq) {
        ctx.writeAndFlush(new Frame.Ack(seq));
        if (batchesQueued-- == MAX_BATCHES_QUEUED) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** The certificate, not the payload, says who sent an alert; an agent may speak only for itself. */
    private void checkAttribution(Alert alert) {
        if (!identity.equals(alert.agent()) || !identity.equals(alert.host())) {
            throw new ProtocolException(ProtocolException.Reason.IDENTITY_MISMATCH, "alert " + alert.id()
                    + " claims agent '" + alert.agent() + "' and host '" + alert.host()
                    + "' but the client certificate identifies '" + identity + "'");
        }
        if (alert.seq() < 1) {
            throw new ProtocolException(ProtocolException.Reason.MALFORMED,
                    "alert " + alert.id() + " has seq " + alert.seq() + ", seqs start at 1");
        }
    }

    private String peer(ChannelHandlerContext ctx) {
        return (identity == null ? "" : identity + "@") + ctx.channel().remoteAddress();
    }

    private static ProtocolException unexpected(String what) {
        return new ProtocolException(ProtocolException.Reason.UNEXPECTED_FRAME, what);
    }
}
