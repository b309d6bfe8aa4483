package dev.hvwatch.agent.delivery;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsContexts;
import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.protocol.wire.Frame;
import dev.hvwatch.protocol.wire.FrameDecoder;
import dev.hvwatch.protocol.wire.FrameEncoder;
import dev.hvwatch.protocol.wire.FrameType;
import dev.hvwatch.protocol.wire.WireFormat;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Load for the collector's ingest benchmark: agent connections that send ALERTS frames as fast as the collector
 * acknowledges them, a window of batches in flight each. Frames are written from a byte template with the seq
 * filled in, so that the load costs far less CPU than the collector's work it measures.
 */
final class IngestLoad {
    private static final int WINDOW = 4;
    private static final String SEQ_MARK = "987654321987";

    private IngestLoad() {
    }

    static void run(Path dir, int agents, long perAgent, int batch, boolean sync) throws Exception {
        Pki pki = Pki.createCa(dir.resolve("ingest-pki"), "ingest bench CA");
        TlsFiles server = pki.issueServer("collector");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        CountDownLatch done = new CountDownLatch(agents);
        CollectorConfig base = CollectorConfig.of(new InetSocketAddress("127.0.0.1", 0), server,
                dir.resolve("ingest-journal"), null);
        try (Collector collector = new Collector(new CollectorConfig(base.listen(), base.tls(),
                new CollectorConfig.Journal(base.journal().dir(), sync, null), base.outputs(), base.api(), null,
                null, null, null, null))) {
            int port = collector.start();
            Sender[] senders = new Sender[agents];
            for (int i = 0; i < agents; i++) {
                String identity = "kvm-load-" + i;
                senders[i] = new Sender(identity, perAgent, batch, done);
                SslContext tls = TlsContexts.client(pki.issueAgent(identity));
                Sender sender = senders[i];
                new Bootstrap().group(group).channel(NioSocketChannel.class)
                        .handler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(tls.newHandler(ch.alloc(), "localhost", port),
                                        new FrameDecoder(), new FrameEncoder(), sender);
                            }
                        })
                        .connect("127.0.0.1", port).sync();
            }
            for (Sender sender : senders) {
                sender.welcomed.await();
            }
            long started = System.nanoTime();
            for (Sender sender : senders) {
                sender.ctx.executor().execute(sender::fill);
            }
            if (!done.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("ingest bench did not finish");
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            long total = agents * perAgent;
            System.out.printf("collector ingest: %d agents x %d alerts in batches of %d, TLS 1.3 on loopback, "
                    + "journaled (journal.sync %s) and acknowledged: %.2f s = %.0f alerts/s (journal holds %d)%n",
                    agents, perAgent, batch, sync, seconds, total / seconds, collector.stats().alertsJournaled());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** One agent connection: HELLO, then batches in seq order, at most {@value #WINDOW} unacknowledged. */
    private static final class Sender extends SimpleChannelInboundHandler<Frame> {
        private final String identity;
        private final long total;
        private final int batch;
        private final CountDownLatch done;
        private final CountDownLatch welcomed = new CountDownLatch(1);
        private final byte[][] template;
        private ChannelHandlerContext ctx;
        private long sent;
        private long acknowledged;

        Sender(String identity, long total, int batch, CountDownLatch done) {
            this.identity = identity;
            this.total = total;
            this.batch = batch;
            this.done = done;
            long mark = Long.parseLong(SEQ_MARK);
            String json = AlertJson.toLine(AlertStreamProcess.alert(new AlertFactory(identity), mark).withSeq(mark));
            String[] parts = json.split(SEQ_MARK, -1);
            template = new byte[parts.length][];
            for (int i = 0; i < parts.length; i++) {
                template[i] = parts[i].getBytes(StandardCharsets.UTF_8);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext context) {
            ctx = context;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext context, Object event) {
            if (event instanceof SslHandshakeCompletionEvent handshake && handshake.isSuccess()) {
                context.writeAndFlush(new Frame.Hello(identity, 0));
            }
            context.fireUserEventTriggered(event);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext context, Frame frame) {
            if (frame instanceof Frame.Welcome) {
                welcomed.countDown();
            } else if (frame instanceof Frame.Ack ack) {
                acknowledged = ack.seq();
                if (acknowledged == total) {
                    done.countDown();
                } else {
                    fill();
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            if (acknowledged < total) {
                System.err.println(identity + ": connection closed by the collector after " + acknowledged
                        + " alerts acknowledged (a frame above its maxFrameBytes?)");
                System.exit(1);
            }
        }

        void fill() {
            while (sent < total && sent - acknowledged < (long) WINDOW * batch) {
                ctx.write(frame(sent + 1, Math.min(total, sent + batch)));
                sent = Math.min(total, sent + batch);
            }
            ctx.flush();
        }

        /** An ALERTS frame of seqs {@code from..to}, written as the encoder would. */
        private ByteBuf frame(long from, long to) {
            ByteBuf out = ctx.alloc().buffer((int) (to - from + 1) * 600);
            out.writeInt(0).writeByte(WireFormat.VERSION).writeByte(FrameType.ALERTS.code()).writeByte('[');
            for (long seq = from; seq <= to; seq++) {
                if (seq > from) {
                    out.writeByte(',');
                }
                byte[] digits = Long.toString(seq).getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < template.length; i++) {
                    if (i > 0) {
                        out.writeBytes(digits);
                    }
                    out.writeBytes(template[i]);
                }
            }
            out.writeByte(']');
            out.setInt(0, out.writerIndex() - 4);
            return out;
        }
    }
}
