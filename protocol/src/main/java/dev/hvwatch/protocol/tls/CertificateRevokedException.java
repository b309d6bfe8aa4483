package dev.hvwatch.protocol.tls;

import java.security.cert.CertificateException;

/** A peer presented a certificate that is on the revocation list; lets the collector count revocations apart. */
public final class CertificateRevokedException extends CertificateException {
    public CertificateRevokedException(String message) {
        super(message);
    }
}
