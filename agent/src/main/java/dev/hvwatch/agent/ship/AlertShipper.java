package dev.hvwatch.agent.ship;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.protocol.Alert;
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
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships alerts to one collector over mutual TLS. {@link #offer} hands an alert to the {@link Outbox} and returns at
 * once; a single event-loop thread connects, resumes after the seq the collector says it has journaled, sends
 * batches, forgets alerts once acknowledged, sends heartbeats, and reconnects with jittered exponential backoff.
 */
public final class AlertShipper implements AutoCloseable {
    /** The {@code stage} label of this shipper's drops in {@code hvwatch_events_dropped_total}. */
    public static final String STAGE = "ship";
    private static final Logger log = LoggerFactory.getLogger(AlertShipper.class);
    private static final int MISSED_HEARTBEATS = 3;

    private final ShipperSettings settings;
    private final Outbox outbox;
    private final Backoff backoff;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Bootstrap bootstrap;
    private final AtomicBoolean wakeScheduled = new AtomicBoolean();
    private volatile boolean connected;
    private volatile long acknowledgedSeq;
    private volatile boolean closed;
    // Confined to the event loop, like everything the handler does.
    private ShipperHandler session;
    /** Set once a collector has told this process which seq to continue from; see {@link Outbox#renumberAfter}. */
    private boolean numberingAligned;

    private AlertShipper(ShipperSettings settings, SslContext tls) {
        this.settings = settings;
        this.outbox = new Outbox(settings.outboxCapacity());
        this.backoff = new Backoff(settings.minBackoff(), settings.maxBackoff());
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        long heartbeatMillis = settings.heartbeat().toMillis();
                        ShipperHandler handler = new ShipperHandler(AlertShipper.this, outbox, settings.batchSize());
                        ch.pipeline()
                                .addLast("tls", tls.newHandler(ch.alloc(), settings.host(), settings.port()))
                                .addLast("idle", new IdleStateHandler(MISSED_HEARTBEATS * heartbeatMillis,
                                        heartbeatMillis, 0, TimeUnit.MILLISECONDS))
                                .addLast("decoder", new FrameDecoder())
                                .addLast("encoder", new FrameEncoder())
                                .addLast("shipper", handler);
                        session = handler;
                    }
                });
    }

    /** Starts shipping to the collector of the agent's configuration, as {@code identity}. */
    public static AlertShipper start(AgentConfig.Collector collector, String identity) throws SSLException {
        if (collector.cert() == null || collector.key() == null || collector.ca() == null) {
            throw new IllegalArgumentException("collector.cert, collector.key and collector.ca must all be set to "
                    + "ship alerts (or run with --embedded-collector)");
        }
        HostPort address = HostPort.parse("collector.address", collector.address());
        return start(ShipperSettings.of(address.host(), address.port(), identity,
                new TlsFiles(collector.cert(), collector.key(), collector.ca()), collector.outboxCapacity()));
    }

    public static AlertShipper start(ShipperSettings settings) throws SSLException {
        AlertShipper shipper = new AlertShipper(settings, TlsContexts.client(settings.tls()));
        shipper.group.execute(shipper::connect);
        return shipper;
    }

    /** Queues the alert for shipping, numbered with the next seq; never blocks. False if the outbox was full. */
    public boolean offer(Alert alert) {
        boolean queued = outbox.offer(alert);
        if (queued && !closed && wakeScheduled.compareAndSet(false, true)) {
            try {
                group.execute(this::sendPending);
            } catch (RejectedExecutionException e) {
                // Closing: the alert stays in the outbox, like every other unacknowledged one.
            }
        }
        return queued;
    }

    /** The highest seq the collector has confirmed as journaled. */
    public long acknowledgedSeq() {
        return acknowledgedSeq;
    }

    /** True while a connection is up and the collector has answered HELLO. */
    public boolean connected() {
        return connected;
    }

    /** Alerts dropped because the outbox was full. */
    public long dropped() {
        return outbox.dropped();
    }

    /** Alerts offered but not yet acknowledged. */
    public int pending() {
        return outbox.size();
    }

    /** Stops shipping; alerts still pending are lost with this in-memory outbox. */
    @Override
    public void close() {
        closed = true;
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    String agent() {
        return settings.agent();
    }

    String endpoint() {
        return settings.host() + ":" + settings.port();
    }

    void welcomed(long lastJournaled) {
        if (!numberingAligned) {
            outbox.renumberAfter(lastJournaled);
            numberingAligned = true;
        }
        outbox.acknowledge(lastJournaled);
        acknowledged(lastJournaled);
        backoff.reset();
        connected = true;
        log.info("shipping alerts to collector {}, which has journaled up to seq {}", endpoint(), lastJournaled);
    }

    void acknowledged(long seq) {
        acknowledgedSeq = Math.max(acknowledgedSeq, seq);
    }

    void disconnected(ShipperHandler handler) {
        if (session == handler) {
            session = null;
        }
        connected = false;
        scheduleReconnect();
    }

    private void connect() {
        if (closed) {
            return;
        }
        bootstrap.connect(settings.host(), settings.port()).addListener(connecting -> {
            if (!connecting.isSuccess()) {
                log.warn("cannot reach collector {}: {}", endpoint(), connecting.cause().getMessage());
                scheduleReconnect();
            }
        });
    }

    private void sendPending() {
        wakeScheduled.set(false);
        if (session != null) {
            session.sendNextBatch();
        }
    }

    private void scheduleReconnect() {
        if (closed || group.isShuttingDown()) {
            return;
        }
        Duration delay = backoff.next();
        log.debug("reconnecting to collector {} in {} ms", endpoint(), delay.toMillis());
        group.schedule(this::connect, delay.toNanos(), TimeUnit.NANOSECONDS);
    }
}
