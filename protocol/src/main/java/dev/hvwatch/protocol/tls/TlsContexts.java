package dev.hvwatch.protocol.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;

/** Netty TLS contexts for both ends of the agent–collector link: TLS 1.3 only, certificates required both ways. */
public final class TlsContexts {
    private static final String TLS_1_3 = "TLSv1.3";

    private TlsContexts() {
    }

    /** The collector's context: a client without a certificate signed by {@code files.ca()} fails the handshake. */
    public static SslContext server(TlsFiles files) throws SSLException {
        return SslContextBuilder.forServer(files.cert().toFile(), files.key().toFile())
                .trustManager(files.ca().toFile())
                .clientAuth(ClientAuth.REQUIRE)
                .protocols(TLS_1_3)
                .sslProvider(provider())
                .build();
    }

    /**
     * The agent's context. The collector's certificate must name the host the agent dials, so pass that host to
     * {@link SslContext#newHandler(io.netty.buffer.ByteBufAllocator, String, int)}.
     */
    public static SslContext client(TlsFiles files) throws SSLException {
        return SslContextBuilder.forClient()
                .keyManager(files.cert().toFile(), files.key().toFile())
                .trustManager(files.ca().toFile())
                .endpointIdentificationAlgorithm("HTTPS")
                .protocols(TLS_1_3)
                .sslProvider(provider())
                .build();
    }

    /** BoringSSL when its native library loads on this platform, the JDK's engine otherwise. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }
}
