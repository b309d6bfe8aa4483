package dev.hvwatch.agent.ship;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.spool.Spool;
import dev.hvwatch.agent.spool.SpoolReader;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.Backoff;
import dev.hvwatch.protocol.config.HostPort;
import dev.hvwatch.protocol.tls.TlsContexts;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.FrameDecoder;
import dev.hvwatch.protocol.wire.FrameEncoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams the {@link Spool} to a collector over mutual TLS. {@link #offer} spools an alert and returns at once; a
 * single event-loop thread connects, resumes after the last seq acknowledged, keeps a few batches in flight, settles
 * alerts in the spool as they are acknowledged, sends heartbeats, and reconnects with jittered exponential backoff,
 * moving on to the next collector of the list after each failure. The backoff starts over only once a collector
 * makes progress (acknowledges alerts or answers a heartbeat), not when it merely answers HELLO: a collector that
 * welcomes the agent and then refuses what it sends must not be dialled again several times a second. Refusals are
 * logged with the collector's reason and counted ({@link #refusals(String)}).
 */
public final class AlertShipper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AlertShipper.class);
    private static final int MISSED_HEARTBEATS = 3;
    private static final int MAX_LOGGED_DETAIL = 512;

    private final ShipperSettings settings;
    private final Spool spool;
    private final Backoff backoff;
    private final EventLoopGroup group =
            new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("shipper"), NioIoHandler.newFactory());
    private final Bootstrap bootstrap;
    private final AtomicBoolean wakeScheduled = new AtomicBoolean();
    private final ShipRefusals refusals = new ShipRefusals();
    private volatile boolean connected;
    private volatile long acknowledgedSeq;
    private volatile boolean closed;
    // Confined to the event loop, like everything the handler does.
    private final SpoolReader reader;
    private ShipperHandler session;
    private int collector;

    private AlertShipper(ShipperSettings settings, SslContext tls, Spool spool) {
        this.settings = settings;
        this.spool = spool;
        this.reader = spool.reader();
        this.acknowledgedSeq = spool.settledSeq();
        this.backoff = new Backoff(settings.minBackoff(), settings.maxBackoff());
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        long heartbeatMillis = settings.heartbeat().toMillis();
                        HostPort to = collector();
                        ShipperHandler handler = new ShipperHandler(AlertShipper.this, spool, reader,
                                settings.batchSize());
                        ch.pipeline()
                                .addLast("tls", tls.newHandler(ch.alloc(), to.host(), to.port()))
                                .addLast("idle", new IdleStateHandler(MISSED_HEARTBEATS * heartbeatMillis,
                                        heartbeatMillis, 0, TimeUnit.MILLISECONDS))
                                .addLast("decoder", new FrameDecoder())
                                .addLast("encoder", new FrameEncoder())
                                .addLast("shipper", handler);
                        session = handler;
                    }
                });
    }

    /** Starts shipping the spool to the collectors of the agent's configuration, as {@code identity}. */
    public static AlertShipper start(AgentConfig.Collector config, String identity, Spool spool)
            throws SSLException {
        if (config.cert() == null || config.key() == null || config.ca() == null) {
            throw new IllegalArgumentException("collector.cert, collector.key and collector.ca must all be set to "
                    + "ship alerts (or try hvwatch on one machine with ./hvwatch demo)");
        }
        return start(ShipperSettings.of(config.addresses(), identity,
                new TlsFiles(config.cert(), config.key(), config.ca()), config.batchSize()), spool);
    }

    public static AlertShipper start(ShipperSettings settings, Spool spool) throws SSLException {
        AlertShipper shipper = new AlertShipper(settings, TlsContexts.client(settings.tls()), spool);
        shipper.group.execute(shipper::connect);
        return shipper;
    }

    /**
     * Spools the alert, numbered with the next seq, and wakes the sender; never waits for the network.
     *
     * @return the alert's seq, 0 if the spool could not take it (counted as dropped)
     */
    public long offer(Alert alert) {
        long seq = spool.append(alert);
        if (seq > 0 && !closed && wakeScheduled.compareAndSet(false, true)) {
            try {
                group.execute(this::sendPending);
            } catch (RejectedExecutionException e) {
                // Closing: the alert stays in the spool for the next run, like every other unacknowledged one.
            }
        }
        return seq;
    }

    /** The highest seq a collector has confirmed as journaled. */
    public long acknowledgedSeq() {
        return acknowledgedSeq;
    }

    /** Every reason {@link #refusals(String)} counts, for the metric's labels. */
    public static List<String> refusalReasons() {
        return ShipRefusals.reasons();
    }

    /** How often collectors refused this agent for {@code reason} since it started. */
    public long refusals(String reason) {
        return refusals.count(reason);
    }

    /** True while a connection is up and the collector has answered HELLO. */
    public boolean connected() {
        return connected;
    }

    /** Stops shipping; unacknowledged alerts stay in the spool. */
    @Override
    public void close() {
        closed = true;
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    String agent() {
        return settings.agent();
    }

    String endpoint() {
        HostPort to = collector();
        return to.host() + ":" + to.port();
    }

    void welcomed() {
        connected = true;
        acknowledged(spool.settledSeq());
        log.info("shipping alerts to collector {}, resuming after seq {} ({} pending)", endpoint(),
                spool.settledSeq(), spool.pending());
    }

    void acknowledged(long seq) {
        acknowledgedSeq = Math.max(acknowledgedSeq, seq);
    }

    /** The collector takes what this agent sends: later failures start the backoff anew. */
    void progressed() {
        backoff.reset();
    }

    /** A collector refused this agent; the connection closes and the next attempt waits for the backoff. */
    void refused(String reason, String detail) {
        refusals.record(reason);
        log.warn("collector {} refused this agent ({}): {}; trying again after a growing delay", endpoint(), reason,
                detail.length() > MAX_LOGGED_DETAIL ? detail.substring(0, MAX_LOGGED_DETAIL) + "…" : detail);
    }

    void disconnected(ShipperHandler handler) {
        if (session == handler) {
            session = null;
        }
        connected = false;
        failOver();
    }

    private HostPort collector() {
        return settings.collectors().get(collector);
    }

    private void connect() {
        if (closed) {
            return;
        }
        bootstrap.connect(collector().host(), collector().port()).addListener(connecting -> {
            if (!connecting.isSuccess()) {
                log.warn("cannot reach collector {}: {}", endpoint(), connecting.cause().getMessage());
                failOver();
            }
        });
    }

    private void sendPending() {
        wakeScheduled.set(false);
        if (session != null) {
            session.sendBatches();
        }
    }

    /** The next attempt goes to the next collector of the list, after a backoff that grows with each failure. */
    private void failOver() {
        if (closed || group.isShuttingDown()) {
            return;
        }
        collector = (collector + 1) % settings.collectors().size();
        Duration delay = backoff.next();
        log.debug("connecting to collector {} in {} ms", endpoint(), delay.toMillis());
        group.schedule(this::connect, delay.toNanos(), TimeUnit.NANOSECONDS);
    }
}
