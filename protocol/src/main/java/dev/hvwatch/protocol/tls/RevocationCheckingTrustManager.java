package dev.hvwatch.protocol.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCertificateException;
import io.netty.internal.tcnative.CertificateVerifier;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The CA bundle's trust manager, plus a refusal of client certificates on the revocation list. The list is the
 * operator's file, not a download: collectors must not depend on reaching a CRL distribution point.
 */
final class RevocationCheckingTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager trusted;
    private final RevocationList revoked;

    RevocationCheckingTrustManager(X509ExtendedTrustManager trusted, RevocationList revoked) {
        this.trusted = trusted;
        this.revoked = revoked;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        try {
            trusted.checkClientTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw untrusted(e);
        }
        checkRevocation(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        try {
            trusted.checkClientTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw untrusted(e);
        }
        checkRevocation(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            trusted.checkClientTrusted(chain, authType);
        } catch (CertificateException e) {
            throw untrusted(e);
        }
        checkRevocation(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        trusted.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        trusted.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        trusted.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return trusted.getAcceptedIssuers();
    }

    /**
     * The refusal with OpenSSL's verification error, so that the client hears a bad_certificate alert rather than
     * internal_error and can tell its certificate was refused.
     */
    private static CertificateException untrusted(CertificateException refused) {
        // Without BoringSSL (the agent's runtime has none) the JDK's engine already says bad_certificate.
        if (refused instanceof OpenSslCertificateException || !OpenSsl.isAvailable()) {
            return refused;
        }
        OpenSslCertificateException untrusted = new OpenSslCertificateException(refused.getMessage(),
                CertificateVerifier.X509_V_ERR_CERT_UNTRUSTED);
        untrusted.initCause(refused);
        return untrusted;
    }

    private void checkRevocation(X509Certificate[] chain) throws CertificateException {
        if (chain.length > 0 && revoked.isRevoked(chain[0])) {
            throw new CertificateRevokedException("certificate " + chain[0].getSubjectX500Principal().getName()
                    + " (serial " + chain[0].getSerialNumber().toString(16) + ") is revoked by " + revoked.file());
        }
    }
}
