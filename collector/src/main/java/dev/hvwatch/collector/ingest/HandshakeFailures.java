package dev.hvwatch.collector.ingest;

import dev.hvwatch.collector.ingest.IngestStats.HandshakeFailure;
import dev.hvwatch.protocol.tls.CertificateRevokedException;
import java.security.cert.CertificateException;

/** Tells why a TLS handshake failed from the exceptions the engine wraps the telling reason in. */
final class HandshakeFailures {
    /** BoringSSL's and the JDK's words for a client that sent no certificate although one is required. */
    private static final String[] NO_CERTIFICATE_MARKERS = {"PEER_DID_NOT_RETURN_A_CERTIFICATE",
        "Empty client certificate chain", "CERTIFICATE_REQUIRED", "certificate_required"};

    private HandshakeFailures() {
    }

    record Failure(HandshakeFailure reason, String detail) {
    }

    static Failure classify(Throwable failure) {
        Throwable root = failure;
        HandshakeFailure reason = HandshakeFailure.OTHER;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            root = t;
            if (t instanceof CertificateRevokedException) {
                return new Failure(HandshakeFailure.REVOKED, t.getMessage());
            }
            if (t instanceof CertificateException) {
                reason = HandshakeFailure.UNTRUSTED;
            } else if (reason == HandshakeFailure.OTHER && mentionsMissingCertificate(t.getMessage())) {
                reason = HandshakeFailure.NO_CERTIFICATE;
            }
        }
        return new Failure(reason, root.toString());
    }

    private static boolean mentionsMissingCertificate(String message) {
        if (message == null) {
            return false;
        }
        for (String marker : NO_CERTIFICATE_MARKERS) {
            if (message.contains(marker)) {
                return true;
            }
        }
        return false;
    }
}
