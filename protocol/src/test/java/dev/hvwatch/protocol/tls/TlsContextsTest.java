package dev.hvwatch.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real handshakes between the two contexts, over in-memory channels. */
class TlsContextsTest {
    private static final String CA_NAME = "hvwatch test CA";

    @TempDir
    Path dir;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private Pki pki;
    private TlsFiles serverFiles;

    @BeforeEach
    void issue() throws Exception {
        pki = Pki.createCa(dir.resolve("ca"), CA_NAME);
        serverFiles = pki.issueServer("collector");
    }

    @AfterEach
    void shutdown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void mutualTls13HandshakeRevealsTheAgentIdentity() throws Exception {
        Handshake handshake = handshake(TlsContexts.client(pki.issueAgent("kvm-01")), "localhost");

        SSLSession serverSession = handshake.server.get(10, TimeUnit.SECONDS);
        assertThat(serverSession.getProtocol()).isEqualTo("TLSv1.3");
        assertThat(PeerIdentity.of(serverSession)).isEqualTo("kvm-01");
        assertThat(handshake.client.get(10, TimeUnit.SECONDS).getProtocol()).isEqualTo("TLSv1.3");
    }

    @Test
    void clientCertificateFromAnotherCaFailsTheServerHandshake() throws Exception {
        // Named like the real CA, so that the client does present its certificate and the signature check must fail.
        TlsFiles foreign = Pki.createCa(dir.resolve("other"), CA_NAME).issueAgent("kvm-01");
        TlsFiles mixed = new TlsFiles(foreign.cert(), foreign.key(), pki.caCert());

        Handshake handshake = handshake(TlsContexts.client(mixed), "localhost");

        assertThatThrownBy(() -> handshake.server.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void clientRefusesACollectorWhoseCertificateDoesNotNameTheDialledHost() throws Exception {
        Handshake handshake = handshake(TlsContexts.client(pki.issueAgent("kvm-01")), "collector.invalid");

        assertThatThrownBy(() -> handshake.client.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void aKeyThatDoesNotBelongToTheCertificateIsRefusedNamingBothFiles() throws Exception {
        TlsFiles agent = pki.issueAgent("kvm-01");
        TlsFiles mismatched = new TlsFiles(serverFiles.cert(), agent.key(), serverFiles.ca());

        assertThatThrownBy(() -> TlsContexts.server(mismatched)).isInstanceOf(SSLException.class)
                .hasMessage("the private key " + agent.key() + " does not belong to the certificate "
                        + serverFiles.cert());
        assertThatThrownBy(() -> TlsContexts.client(new TlsFiles(agent.cert(), serverFiles.key(), agent.ca())))
                .isInstanceOf(SSLException.class).hasMessageContaining("does not belong to the certificate");
    }

    @Test
    void anRsaKeyBesideAnEcCertificateDoesNotBelongToIt() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        Path rsaKey = Files.writeString(dir.resolve("rsa-key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(rsa.generateKeyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");

        assertThatThrownBy(() -> TlsContexts.server(new TlsFiles(serverFiles.cert(), rsaKey, serverFiles.ca())))
                .isInstanceOf(SSLException.class).hasMessage("the private key " + rsaKey
                        + " does not belong to the certificate " + serverFiles.cert());
    }

    @Test
    void aCertificateFileNamedAsTheKeyIsRefusedNamingIt() {
        TlsFiles swapped = new TlsFiles(serverFiles.cert(), serverFiles.cert(), serverFiles.ca());

        assertThatThrownBy(() -> TlsContexts.server(swapped)).isInstanceOf(SSLException.class)
                .hasMessageStartingWith("cannot check that the private key " + serverFiles.cert()
                        + " belongs to the certificate " + serverFiles.cert() + ": could not find a PKCS #8 private key");
    }

    @Test
    void aKeyInTheTraditionalOpenSslFormServesHandshakes() throws Exception {
        // What `openssl ecparam -genkey` writes: "BEGIN EC PRIVATE KEY", not PKCS#8.
        Path traditional = dir.resolve("collector-ec-key.pem");
        Process openssl = new ProcessBuilder("openssl", "ec", "-in", serverFiles.key().toString(), "-out",
                traditional.toString()).redirectErrorStream(true).start();
        assertThat(openssl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(openssl.exitValue()).as(new String(openssl.getInputStream().readAllBytes())).isZero();
        assertThat(Files.readString(traditional)).startsWith("-----BEGIN EC PRIVATE KEY-----");
        serverFiles = new TlsFiles(serverFiles.cert(), traditional, serverFiles.ca());

        Handshake handshake = handshake(TlsContexts.client(pki.issueAgent("kvm-01")), "localhost");

        assertThat(PeerIdentity.of(handshake.server.get(10, TimeUnit.SECONDS))).isEqualTo("kvm-01");
    }

    private record Handshake(CompletableFuture<SSLSession> server, CompletableFuture<SSLSession> client) {
    }

    private Handshake handshake(SslContext clientContext, String dialledHost) throws Exception {
        SslContext serverContext = TlsContexts.server(serverFiles);
        Handshake handshake = new Handshake(new CompletableFuture<>(), new CompletableFuture<>());
        LocalAddress address = new LocalAddress(TlsContextsTest.class);
        new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        ch.pipeline().addLast(serverContext.newHandler(ch.alloc()), completing(handshake.server));
                    }
                })
                .bind(address).sync();
        new Bootstrap().group(group).channel(LocalChannel.class)
                .handler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        ch.pipeline().addLast(clientContext.newHandler(ch.alloc(), dialledHost, 7847),
                                completing(handshake.client));
                    }
                })
                .connect(address).sync();
        return handshake;
    }

    private static ChannelInboundHandlerAdapter completing(CompletableFuture<SSLSession> result) {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                if (event instanceof SslHandshakeCompletionEvent completion) {
                    if (completion.isSuccess()) {
                        result.complete(ctx.pipeline().get(SslHandler.class).engine().getSession());
                    } else {
                        result.completeExceptionally(completion.cause());
                    }
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                result.completeExceptionally(new IllegalStateException("closed before the handshake completed"));
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        };
    }
}
