package dev.hvwatch.protocol.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.Collection;

/** A certificate revocation list read from PEM and verified against the CA bundle that issued the certificates. */
public final class RevocationList {
    private final Path file;
    private final X509CRL crl;

    private RevocationList(Path file, X509CRL crl) {
        this.file = file;
        this.crl = crl;
    }

    /** Reads {@code crlFile}; it must be signed by one of the certificates in {@code caBundle}. */
    public static RevocationList load(Path crlFile, Path caBundle) throws IOException, GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        X509CRL crl;
        try (InputStream in = Files.newInputStream(crlFile)) {
            crl = (X509CRL) factory.generateCRL(in);
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException(crlFile + " is not a certificate revocation list: " + e.getMessage(), e);
        }
        for (X509Certificate ca : caCertificates(factory, caBundle)) {
            if (ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
                try {
                    crl.verify(ca.getPublicKey());
                    return new RevocationList(crlFile, crl);
                } catch (GeneralSecurityException e) {
                    // Another CA of the bundle may carry the same name; try the rest.
                }
            }
        }
        throw new GeneralSecurityException(crlFile + " is not signed by a CA in " + caBundle + " (issuer "
                + crl.getIssuerX500Principal().getName() + ")");
    }

    public boolean isRevoked(X509Certificate certificate) {
        return crl.getIssuerX500Principal().equals(certificate.getIssuerX500Principal()) && crl.isRevoked(certificate);
    }

    public Path file() {
        return file;
    }

    static Collection<X509Certificate> caCertificates(CertificateFactory factory, Path bundle)
            throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(bundle)) {
            @SuppressWarnings("unchecked")
            Collection<X509Certificate> certificates = (Collection<X509Certificate>) factory.generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new GeneralSecurityException(bundle + " holds no certificate");
            }
            return certificates;
        }
    }
}
