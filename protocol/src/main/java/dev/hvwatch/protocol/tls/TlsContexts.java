package dev.hvwatch.protocol.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/** Netty TLS contexts for both ends of the agent–collector link: TLS 1.3 only, certificates required both ways. */
public final class TlsContexts {
    private static final String TLS_1_3 = "TLSv1.3";

    private TlsContexts() {
    }

    /** The collector's context: a client without a certificate signed by {@code files.ca()} fails the handshake. */
    public static SslContext server(TlsFiles files) throws SSLException {
        return server(files, null, ClientAuth.REQUIRE);
    }

    /** As {@link #server(TlsFiles)}, and a client certificate on {@code revoked} fails the handshake too. */
    public static SslContext server(TlsFiles files, RevocationList revoked) throws SSLException {
        return server(files, revoked, ClientAuth.REQUIRE);
    }

    /**
     * A server context whose clients must ({@link ClientAuth#REQUIRE}) or may ({@link ClientAuth#OPTIONAL}, for
     * HTTP clients that authenticate with a token instead) present a certificate signed by {@code files.ca()} and
     * not on {@code revoked}, if that is not null.
     */
    public static SslContext server(TlsFiles files, RevocationList revoked, ClientAuth clientAuth)
            throws SSLException {
        MatchingKey.require(files);
        SslContextBuilder builder = SslContextBuilder.forServer(files.cert().toFile(), files.key().toFile())
                .clientAuth(clientAuth)
                .protocols(TLS_1_3)
                .sslProvider(provider());
        if (revoked == null) {
            return builder.trustManager(files.ca().toFile()).build();
        }
        X509ExtendedTrustManager trusted;
        try {
            trusted = caTrustManager(files.ca());
        } catch (IOException | GeneralSecurityException e) {
            throw new SSLException("cannot read the CA bundle " + files.ca() + ": " + e.getMessage(), e);
        }
        return builder.trustManager(new RevocationCheckingTrustManager(trusted, revoked)).build();
    }

    private static X509ExtendedTrustManager caTrustManager(Path caBundle) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (X509Certificate ca : RevocationList.caCertificates(CertificateFactory.getInstance("X.509"), caBundle)) {
            store.setCertificateEntry("ca-" + i++, ca);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        for (TrustManager manager : factory.getTrustManagers()) {
            if (manager instanceof X509ExtendedTrustManager x509) {
                return x509;
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager for " + caBundle);
    }

    /**
     * The agent's context. The collector's certificate must name the host the agent dials, so pass that host to
     * {@link SslContext#newHandler(io.netty.buffer.ByteBufAllocator, String, int)}.
     */
    public static SslContext client(TlsFiles files) throws SSLException {
        MatchingKey.require(files);
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
