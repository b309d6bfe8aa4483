package dev.hvwatch.collector.output.transport;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;

/**
 * A JDK {@link SSLContext} for outputs that speak TLS to a receiver (syslog, an https webhook), from the same PEM
 * files as everything else. Netty's builder reads them; its JDK provider hands out the plain SSLContext that blocking
 * sockets and {@code java.net.http} need.
 */
final class ClientTlsContext {
    private ClientTlsContext() {
    }

    /**
     * @param ca the CA bundle the receiver's certificate must chain to
     * @param cert a client certificate (with {@code key}) for receivers that ask for one, or null
     */
    static SSLContext of(Path ca, Path cert, Path key) throws IOException {
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(ca.toFile());
        if (cert != null) {
            builder.keyManager(cert.toFile(), key.toFile());
        }
        try {
            return ((JdkSslContext) builder.build()).context();
        } catch (IllegalArgumentException e) {
            throw new IOException("cannot load TLS files (ca " + ca + (cert == null ? "" : ", cert " + cert
                    + ", key " + key) + "): " + e.getMessage(), e);
        }
    }
}
