package dev.hvwatch.protocol.tls;

import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;

/** Who is on the other end: the subject CN of the peer's verified certificate, the only identity hvwatch trusts. */
public final class PeerIdentity {

    private PeerIdentity() {
    }

    /** The CN of the peer's leaf certificate; the session must come from a completed handshake. */
    public static String of(SSLSession session) throws SSLPeerUnverifiedException {
        Certificate[] chain = session.getPeerCertificates();
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            throw new SSLPeerUnverifiedException("peer presented no X.509 certificate");
        }
        return commonName(leaf);
    }

    /** The single CN of the certificate's subject; none or several make the identity ambiguous and are refused. */
    public static String commonName(X509Certificate certificate) throws SSLPeerUnverifiedException {
        RDN[] names;
        try {
            names = new JcaX509CertificateHolder(certificate).getSubject().getRDNs(BCStyle.CN);
        } catch (CertificateEncodingException e) {
            SSLPeerUnverifiedException unreadable = new SSLPeerUnverifiedException("unreadable peer certificate");
            unreadable.initCause(e);
            throw unreadable;
        }
        if (names.length != 1 || names[0].isMultiValued()) {
            throw new SSLPeerUnverifiedException("peer certificate subject "
                    + certificate.getSubjectX500Principal().getName() + " does not hold exactly one CN");
        }
        return IETFUtils.valueToString(names[0].getFirst().getValue());
    }
}
