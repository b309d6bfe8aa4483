package dev.hvwatch.protocol.tls;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;

/**
 * A peer presented a certificate that is on the revocation list; lets the collector count revocations apart. Its
 * cause says "revoked" in the words the TLS engine looks for (a {@link CertPathValidatorException} for the reason
 * REVOKED), so that the peer hears a certificate_revoked alert, not internal_error, and a refused agent can say why.
 */
public final class CertificateRevokedException extends CertificateException {
    public CertificateRevokedException(String message) {
        super(message, new CertPathValidatorException(message, null, null, -1,
                CertPathValidatorException.BasicReason.REVOKED));
    }
}
