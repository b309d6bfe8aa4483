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

    static PrivateKey readPrivateKey(Path file) throws IOException {
        return new JcaPEMKeyConverter().getPrivateKey(read(file, PrivateKeyInfo.class, "a PKCS#8 private key"));
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
