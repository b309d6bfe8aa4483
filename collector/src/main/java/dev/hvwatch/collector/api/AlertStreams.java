package dev.hvwatch.collector.api;

import dev.hvwatch.collector.api.ApiMetrics.StreamEnd;
import dev.hvwatch.collector.api.ApiParameters.StreamQuery;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.journal.AlertJournal;
import dev.hvwatch.collector.journal.JournalScanner;
import dev.hvwatch.collector.journal.JournalUnavailableException;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live streams of {@code /api/v1/stream} (server-sent events), all served by one thread, the pump. It wakes when
 * the journal takes alerts, when a connection can take more, and at least every tick for heartbeats and stall
 * checks; each round it gives every {@link StreamClient} what the journal holds for it. Chronicle tailers belong to
 * one thread, and this one owns every stream's scanner.
 */
final class AlertStreams implements AutoCloseable {
    static final String ROUTE = "/api/v1/stream";
    private static final Logger log = LoggerFactory.getLogger(AlertStreams.class);
    private static final long MIN_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_TICK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final String PREAMBLE = ": hvwatch alerts\nretry: 2000\n\n";
    /**
     * The kernel's send buffer of a stream's socket (Linux doubles it), fixed rather than auto-tuned up to
     * net.ipv4.tcp_wmem's maximum (4 MiB by default): with Netty's write buffer it bounds what a stalled client pins,
     * and lets a stall be seen after a few hundred alerts. 128 KiB per round trip is ample for alerts.
     */
    static final int SOCKET_SEND_BUFFER = 64 * 1024;

    private final AlertJournal journal;
    private final CollectorConfig.Stream config;
    private final ApiMetrics metrics;
    private final long tickNanos;
    private final Queue<Joining> joining = new ConcurrentLinkedQueue<>();
    /** Confined to the pump. */
    private final List<StreamClient> clients = new ArrayList<>();
    private final Thread pump;
    private volatile boolean stopping;

    AlertStreams(AlertJournal journal, CollectorConfig.Stream config, ApiMetrics metrics) {
        this.journal = journal;
        this.config = config;
        this.metrics = metrics;
        long shortest = Math.min(config.heartbeat().toNanos(), config.stallTimeout().toNanos());
        this.tickNanos = Math.max(MIN_TICK_NANOS, Math.min(MAX_TICK_NANOS, shortest / 4));
        this.pump = new Thread(this::run, "api-stream");
        pump.setDaemon(true);
        pump.start();
    }

    private record Joining(Channel channel, StreamQuery query) {
    }

    /** Hands a stream request to the pump, which answers it: 200 and events, 400 for a bad cursor, or 503 when full. */
    void open(Channel channel, StreamQuery query) {
        joining.add(new Joining(channel, query));
        wake();
    }

    /** Something changed: the journal grew, a connection drained or closed. Cheap enough to call per alert. */
    void wake() {
        LockSupport.unpark(pump);
    }

    @Override
    public void close() {
        stopping = true;
        wake();
        try {
            pump.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            while (!stopping) {
                admit();
                if (!serveRound()) {
                    LockSupport.parkNanos(this, tickNanos);
                }
            }
        } finally {
            for (StreamClient client : clients) {
                client.close(StreamEnd.SHUTDOWN);
                metrics.streamEnded(StreamEnd.SHUTDOWN);
            }
            clients.clear();
            for (Joining refused; (refused = joining.poll()) != null; ) {
                refused.channel.close();
            }
        }
    }

    /** @return whether some client has more waiting right now, so that the pump goes round again at once */
    private boolean serveRound() {
        long now = System.nanoTime();
        boolean moreWaiting = false;
        for (Iterator<StreamClient> it = clients.iterator(); it.hasNext(); ) {
            StreamClient client = it.next();
            StreamClient.Round round;
            try {
                round = client.serve(now);
            } catch (RuntimeException e) {
                log.error("live stream failed; closing it", e);
                client.close(StreamEnd.CLOSED);
                round = new StreamClient.Round(0, false, StreamEnd.CLOSED);
            }
            metrics.streamed(round.events());
            if (round.ended() != null) {
                it.remove();
                metrics.streamEnded(round.ended());
                if (round.ended() == StreamEnd.SLOW) {
                    log.warn("live stream cut off: it read nothing for {} while events waited; it may resume "
                            + "with Last-Event-ID", config.stallTimeout());
                }
            }
            moreWaiting |= round.moreWaiting();
        }
        return moreWaiting;
    }

    private void admit() {
        for (Joining next; (next = joining.poll()) != null; ) {
            Channel channel = next.channel;
            if (!channel.isActive()) {
                continue;
            }
            if (clients.size() >= config.maxClients()) {
                refuse(channel, Answers.error(HttpResponseStatus.SERVICE_UNAVAILABLE, config.maxClients()
                        + " live streams are open, api.stream.maxClients; try again later"));
                continue;
            }
            JournalScanner scanner;
            try {
                scanner = journal.scanner();
            } catch (JournalUnavailableException e) {
                refuse(channel, Answers.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "the journal is unavailable: "
                        + e.getMessage()));
                continue;
            }
            try {
                position(scanner, next.query);
            } catch (BadParameter bad) {
                scanner.close();
                refuse(channel, Answers.badParameter(bad));
                continue;
            }
            channel.config().setOption(ChannelOption.SO_SNDBUF, SOCKET_SEND_BUFFER);
            channel.write(streamHeader());
            channel.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(PREAMBLE, StandardCharsets.US_ASCII)));
            metrics.answered(ROUTE, HttpResponseStatus.OK.code());
            metrics.streamOpened();
            clients.add(new StreamClient(channel, next.query.filter(), scanner, config.heartbeat().toNanos(),
                    config.stallTimeout().toNanos(), System.nanoTime()));
        }
    }

    private static void position(JournalScanner scanner, StreamQuery query) throws BadParameter {
        if (query.after() != null) {
            AlertPages.seekAfter(scanner, query.after());
        } else if (query.filter().since() == null) {
            scanner.toEnd();
        }
    }

    private void refuse(Channel channel, FullHttpResponse response) {
        metrics.answered(ROUTE, response.status().code());
        channel.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private static HttpResponse streamHeader() {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                // Asks buffering proxies (nginx) to pass events on as they come.
                .set("X-Accel-Buffering", "no");
        HttpUtil.setTransferEncodingChunked(response, true);
        return response;
    }
}
