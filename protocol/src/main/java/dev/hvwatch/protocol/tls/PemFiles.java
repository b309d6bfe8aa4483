package dev.hvwatch.protocol.tls;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Reads the PEM files {@link Pki} writes; a file holding something else is refused with its path and content type. */
final class PemFiles {
    private PemFiles() {
    }

    static X509CertificateHolder readCertificate(Path file) throws IOException {
        return read(file, X509CertificateHolder.class, "a certificate");
    }

    static X509CRLHolder readCrl(Path file) throws IOException {
        return read(file, X509CRLHolder.class, "a certificate revocation list");
    }

    /** PKCS#8, as {@link Pki} writes it, or the traditional OpenSSL forms ("EC PRIVATE KEY", "RSA PRIVATE KEY"). */
    static PrivateKey readPrivateKey(Path file) throws IOException {
        Object key = read(file, Object.class, "a private key");
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        if (key instanceof PrivateKeyInfo pkcs8) {
            return converter.getPrivateKey(pkcs8);
        }
        if (key instanceof PEMKeyPair traditional) {
            return converter.getPrivateKey(traditional.getPrivateKeyInfo());
        }
        throw new IOException(file + " does not hold an unencrypted private key in PEM form (found "
                + key.getClass().getSimpleName() + ")");
    }

    private static <T> T read(Path file, Class<T> type, String what) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
             PEMParser pem = new PEMParser(in)) {
            Object object = pem.readObject();
            if (!type.isInstance(object)) {
                throw new IOException(file + " does not hold " + what + " in PEM form"
                        + (object == null ? "" : " (found " + object.getClass().getSimpleName() + ")"));
            }
            return type.cast(object);
        }
    }
}
