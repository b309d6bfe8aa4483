package dev.hvwatch.collector.tls;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.tls.RevocationList;
import dev.hvwatch.protocol.tls.TlsContexts;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
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
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong reloadFailures = new AtomicLong();
    private volatile Loaded loaded;

    private ServerTls(CollectorConfig.Tls config, Loaded loaded) {
        this.config = config;
        this.loaded = loaded;
    }

    /** Loads the files named by {@code config}; a failure here is a configuration error. */
    public static ServerTls load(CollectorConfig.Tls config) throws IOException, GeneralSecurityException {
        return new ServerTls(config, Loaded.from(config));
    }

    /** The context for the next connection. */
    public SslContext context() {
        return loaded.context;
    }

    /** Whether the revocation list in force names this certificate; false for null. */
    public boolean isRevoked(X509Certificate certificate) {
        return certificate != null && loaded.revoked != null && loaded.revoked.isRevoked(certificate);
    }

    /** @return true when a changed file set was loaded and is now in force */
    public boolean reloadIfChanged() {
        List<Object> stamps = fileStamps(config);
        if (stamps.equals(loaded.stamps)) {
            return false;
        }
        try {
            loaded = Loaded.from(config);
            reloads.incrementAndGet();
            log.info("TLS files reloaded (certificate {}, CA {}, revocation list {}); new connections use them",
                    config.cert(), config.ca(), config.crl());
            return true;
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
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
        static Loaded from(CollectorConfig.Tls config) throws IOException, GeneralSecurityException {
            // Stamped before reading: a file that changes while being read is read again at the next check.
            List<Object> stamps = fileStamps(config);
            RevocationList revoked = config.crl() == null ? null : RevocationList.load(config.crl(), config.ca());
            SslContext context = revoked == null
                    ? TlsContexts.server(config.files())
                    : TlsContexts.server(config.files(), revoked);
            return new Loaded(context, revoked, stamps);
        }
    }

    /** What identifies a version of each file: replaced files (rename over) change inode, edited ones mtime or size. */
    private static List<Object> fileStamps(CollectorConfig.Tls config) {
        List<Object> stamps = new ArrayList<>();
        for (Path file : new Path[] {config.cert(), config.key(), config.ca(), config.crl()}) {
            if (file == null) {
                stamps.add(null);
                continue;
            }
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                stamps.add(List.of(a.lastModifiedTime(), a.size(), Objects.requireNonNullElse(a.fileKey(), "")));
            } catch (IOException e) {
                stamps.add(e.getClass().getSimpleName());
            }
        }
        return stamps;
    }
}
