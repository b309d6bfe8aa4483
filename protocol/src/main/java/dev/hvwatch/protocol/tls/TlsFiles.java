package dev.hvwatch.protocol.tls;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The PEM files one end of a connection needs: its certificate chain, its PKCS#8 private key and the CA bundle it
 * trusts to verify the other end.
 */
public record TlsFiles(Path cert, Path key, Path ca) {
    public TlsFiles {
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(ca, "ca");
    }
}
