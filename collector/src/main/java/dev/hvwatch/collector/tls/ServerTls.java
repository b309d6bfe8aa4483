package dev.hvwatch.collector.tls;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.tls.RevocationList;
import dev.hvwatch.protocol.tls.TlsContexts;
import io.netty.channel.Channel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's TLS material, reloaded when its files change so that certificates can be rotated and agents
 * revoked without a restart: {@link #reloadIfChanged} builds a new context from the changed files, and new
 * connections use it; connections already open keep the context they were made with. A change that does not load
 * (a key that does not match its certificate, a list not signed by the CA) is refused and the files in force stay.
 */
public final class ServerTls {
    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    private final CollectorConfig.Tls config;
    private final ClientAuth clientAuth;
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong reloadFailures = new AtomicLong();
    private volatile Loaded loaded;
    private List<Object> refused;

    private ServerTls(CollectorConfig.Tls config, ClientAuth clientAuth, Loaded loaded) {
        this.config = config;
        this.clientAuth = clientAuth;
        this.loaded = loaded;
    }

    /** Loads the files named by {@code config}, requiring client certificates; a failure is a configuration error. */
    public static ServerTls load(CollectorConfig.Tls config) throws IOException, GeneralSecurityException {
        return load(config, ClientAuth.REQUIRE);
    }

    /** As {@link #load(CollectorConfig.Tls)}, with client certificates required or only optional. */
    public static ServerTls load(CollectorConfig.Tls config, ClientAuth clientAuth)
            throws IOException, GeneralSecurityException {
        return new ServerTls(config, clientAuth, Loaded.from(config, clientAuth));
    }

    /** The context for the next connection. */
    public SslContext context() {
        return loaded.context;
    }

    /** Whether the revocation list in force names this certificate; false for null. */
    public boolean isRevoked(X509Certificate certificate) {
        return certificate != null && loaded.revoked != null && loaded.revoked.isRevoked(certificate);
    }

    /** Whether the channel's peer completed a TLS handshake with a certificate the list in force now revokes. */
    public boolean isRevoked(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        return ssl != null && ssl.handshakeFuture().isSuccess() && isRevoked(leaf(ssl));
    }

    private static X509Certificate leaf(SslHandler ssl) {
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? x509 : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    /** @return true when a changed file set was loaded and is now in force */
    public boolean reloadIfChanged() {
        List<Object> stamps = fileStamps(config);
        if (stamps.equals(loaded.stamps) || stamps.equals(refused)) {
            return false;
        }
        try {
            loaded = Loaded.from(config, clientAuth);
            refused = null;
            reloads.incrementAndGet();
            log.info("TLS files reloaded (certificate {}, CA {}, revocation list {}); new connections use them",
                    config.cert(), config.ca(), config.crl());
            return true;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // Tried again once any of the files changes, not at every check: one error logged and counted per change.
            refused = stamps;
            reloadFailures.incrementAndGet();
            log.error("changed TLS files not loaded, the previous ones stay in force: {}", e.getMessage());
            return false;
        }
    }

    public long reloads() {
        return reloads.get();
    }

    public long reloadFailures() {
        return reloadFailures.get();
    }

    private record Loaded(SslContext context, RevocationList revoked, List<Object> stamps) {
        static Loaded from(CollectorConfig.Tls config, ClientAuth clientAuth)
                throws IOException, GeneralSecurityException {
            // Stamped before reading: a file that changes while being read is read again at the next check.
            List<Object> stamps = fileStamps(config);
            RevocationList revoked = config.crl() == null ? null : RevocationList.load(config.crl(), config.ca());
            SslContext context = TlsContexts.server(config.files(), revoked, clientAuth);
            return new Loaded(context, revoked, stamps);
        }
    }

    private static List<Object> fileStamps(CollectorConfig.Tls config) {
        return Arrays.asList(FileStamp.of(config.cert()), FileStamp.of(config.key()), FileStamp.of(config.ca()),
                FileStamp.of(config.crl()));
    }
}
