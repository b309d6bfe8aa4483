package dev.hvwatch.collector.ingest;

import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.journal.JournalUnavailableException;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.EncodedAlert;
import dev.hvwatch.protocol.tls.PeerIdentity;
import dev.hvwatch.protocol.wire.Frame;
import dev.hvwatch.protocol.wire.FrameDecoder;
import dev.hvwatch.protocol.wire.ProtocolException;
import dev.hvwatch.protocol.wire.RefusalReason;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.ReadTimeoutException;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent connection, above TLS and framing: takes the agent's identity from its certificate, answers HELLO, checks
 * and journals ALERTS, and acknowledges them only once they are journaled. Whatever the collector will not take (a
 * breach of the protocol, a second connection of one certificate, a seq far ahead, a journal that cannot write, a
 * frame too slow or too big for the memory left) is refused: a REFUSE frame tells the agent why, then the connection
 * closes, and the agent sends whatever was not acknowledged again later.
 *
 * <p>Flow control: up to {@value #MAX_BATCHES_QUEUED} batches of one connection wait for the journal; beyond that
 * the connection stops reading, TCP's window fills, and the agent's sends slow down to the journal's pace. Their
 * bytes count against the {@link BufferBudget} until journaled.
 */
final class IngestHandler extends SimpleChannelInboundHandler<Frame> {
    static final int MAX_BATCHES_QUEUED = 4;
    /** Room for a HELLO, the only frame of a peer that has not said who it is. */
    static final int HELLO_FRAME_BYTES = 4096;
    private static final Logger log = LoggerFactory.getLogger(IngestHandler.class);
    /** How long a refused peer gets to read the REFUSE frame before the connection closes anyway. */
    private static final long REFUSE_LINGER_MILLIS = 2000;

    private final AlertJournal journal;
    private final Executor journalWriter;
    private final IngestStats stats;
    private final ConnectedAgents agents;
    private final BufferBudget budget;
    private final int maxFrameBytes;
    private final long maxSeqGap;
    private String identity;
    private boolean welcomed;
    private boolean refused;
    /** The highest seq this connection may build on: journaled, declared in HELLO, or sent here. */
    private long highestSeq;
    /** Batches handed to the journal writer and not yet acknowledged; confined to the event loop. */
    private int batchesQueued;
    /**
     * Set by the journal writer when it could not take a batch: the batches queued behind it must not be journaled
     * either, or a later seq would be taken while an earlier one was refused, and the earlier one, sent again, would
     * count as a duplicate. Read and written on the writer's one thread.
     */
    private boolean journalRefused;

    IngestHandler(AlertJournal journal, Executor journalWriter, IngestStats stats, ConnectedAgents agents,
            BufferBudget budget, int maxFrameBytes, long maxSeqGap) {
        this.journal = journal;
        this.journalWriter = journalWriter;
        this.stats = stats;
        this.agents = agents;
        this.budget = budget;
        this.maxFrameBytes = maxFrameBytes;
        this.maxSeqGap = maxSeqGap;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        stats.connectionOpened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stats.connectionClosed();
        if (identity != null) {
            agents.release(identity, ctx.channel());
        }
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
        if (refused) {
            return;
        }
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
        if (refused) {
            // Such as the frame cut short by the close that follows the refusal: counted once, as the refusal.
            log.debug("after refusing {}: {}", peer(ctx), cause.toString());
            return;
        }
        if (cause instanceof ProtocolException rejected) {
            stats.frameRejected(rejected.reason());
            log.warn("refusing connection of {}: {} ({})", peer(ctx), rejected.getMessage(),
                    rejected.reason().label());
            refuse(ctx, RefusalReason.of(rejected.reason()), rejected.getMessage());
        } else if (cause instanceof Refusal refusal) {
            stats.connectionRefused(refusal.reason());
            if (refusal.reason() == RefusalReason.JOURNAL_UNAVAILABLE) {
                // The journal said why in one line when it stopped taking alerts; /readyz and a metric say it too.
                log.debug("refusing connection of {}: {}", peer(ctx), refusal.getMessage());
            } else {
                log.warn("refusing connection of {}: {} ({})", peer(ctx), refusal.getMessage(),
                        refusal.reason().label());
            }
            refuse(ctx, refusal.reason(), refusal.getMessage());
        } else if (cause instanceof ReadTimeoutException) {
            stats.idleTimeout();
            log.info("closing connection of {}: silent for the idle timeout", peer(ctx));
            ctx.close();
        } else if (cause.getCause() instanceof SSLException || cause instanceof IOException) {
            // Handshake failures are counted and logged with their completion event; resets need no stack trace.
            log.debug("connection of {} failed", peer(ctx), cause);
            ctx.close();
        } else {
            log.warn("closing connection of {} after an unexpected error", peer(ctx), cause);
            ctx.close();
        }
    }

    /**
     * Tells the agent why, reads nothing more, and closes once the frame is out, or after a short linger for a peer
     * that reads nothing. A peer that has not completed TLS cannot be told.
     */
    private void refuse(ChannelHandlerContext ctx, RefusalReason reason, String message) {
        if (refused) {
            return;
        }
        refused = true;
        Channel channel = ctx.channel();
        channel.config().setAutoRead(false);
        if (identity == null || !channel.isActive()) {
            ctx.close();
            return;
        }
        ctx.writeAndFlush(new Frame.Refuse(reason, message)).addListener(ChannelFutureListener.CLOSE);
        ctx.executor().schedule(() -> {
            ctx.close();
        }, REFUSE_LINGER_MILLIS, TimeUnit.MILLISECONDS);
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
        String journalProblem = journal.unavailableReason();
        if (journalProblem != null) {
            throw new Refusal(RefusalReason.JOURNAL_UNAVAILABLE, "the collector's journal takes no alerts now: "
                    + journalProblem);
        }
        Channel holder = agents.claim(identity, ctx.channel());
        if (holder != null) {
            throw new Refusal(RefusalReason.DUPLICATE_CONNECTION, "certificate '" + identity + "' is in use by the "
                    + "live connection from " + holder.remoteAddress() + " (two agents sharing one certificate, or "
                    + "a connection the collector has not yet seen end)");
        }
        welcomed = true;
        long lastSeq = journal.lastSeq(identity);
        highestSeq = Math.max(lastSeq, hello.resumeAfter());
        ctx.pipeline().get(FrameDecoder.class).limit(maxFrameBytes);
        log.info("agent {} connected from {}, resuming after {} (journal holds up to {})", identity,
                ctx.channel().remoteAddress(), hello.resumeAfter(), lastSeq);
        ctx.writeAndFlush(new Frame.Welcome(lastSeq));
    }

    private void onAlerts(ChannelHandlerContext ctx, List<EncodedAlert> alerts) {
        if (!welcomed) {
            throw unexpected("ALERTS before HELLO");
        }
        long bytes = 0;
        for (EncodedAlert encoded : alerts) {
            checkAttribution(encoded.alert());
            checkSeq(encoded.alert());
            bytes += encoded.json().length;
        }
        if (++batchesQueued >= MAX_BATCHES_QUEUED) {
            ctx.channel().config().setAutoRead(false);
        }
        // In memory already: counted whatever the limit, which new input then has to respect.
        budget.reserve(bytes);
        String agent = identity;
        long held = bytes;
        journalWriter.execute(() -> {
            try {
                journal(ctx, agent, alerts);
            } finally {
                budget.release(held);
            }
        });
    }

    /** On the journal writer's thread, which keeps blocking file I/O off the event loop. */
    private void journal(ChannelHandlerContext ctx, String agent, List<EncodedAlert> alerts) {
        if (journalRefused || !ctx.channel().isActive()) {
            // Not acknowledged, so the agent sends the batch again on its next connection, in order.
            return;
        }
        AlertJournal.Appended appended;
        try {
            appended = journal.append(alerts);
        } catch (RuntimeException e) {
            journalRefused = true;
            stats.journalFailed(alerts.size());
            if (!(e instanceof JournalUnavailableException)) {
                log.error("cannot journal {} alerts of {}; refusing them so that the agent keeps and resends them",
                        alerts.size(), agent, e);
            }
            ctx.executor().execute(() -> exceptionCaught(ctx, new Refusal(RefusalReason.JOURNAL_UNAVAILABLE,
                    "the collector cannot journal now (" + e.getMessage() + "); nothing of the batch was kept")));
            return;
        }
        stats.journaled(appended.written(), appended.skipped());
        long journaled = journal.lastSeq(agent);
        ctx.executor().execute(() -> acknowledge(ctx, journaled));
    }

    private void acknowledge(ChannelHandlerContext ctx, long seq) {
        if (refused) {
            return;
        }
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

    /**
     * A seq far beyond anything known would be journaled and make every later alert with a smaller seq a
     * "duplicate"; gaps come only from alerts the agent's spool dropped, which its HELLO declares.
     */
    private void checkSeq(Alert alert) {
        if (alert.seq() - highestSeq > maxSeqGap) {
            throw new ProtocolException(ProtocolException.Reason.SEQ_JUMP, "alert " + alert.id() + " has seq "
                    + alert.seq() + ", more than maxSeqGap (" + maxSeqGap + ") beyond seq " + highestSeq
                    + ", the highest the journal holds, HELLO declared or this connection sent");
        }
        highestSeq = Math.max(highestSeq, alert.seq());
    }

    private String peer(ChannelHandlerContext ctx) {
        return (identity == null ? "" : identity + "@") + ctx.channel().remoteAddress();
    }

    private static ProtocolException unexpected(String what) {
        return new ProtocolException(ProtocolException.Reason.UNEXPECTED_FRAME, what);
    }
}
