package dev.hvwatch.protocol.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import javax.net.ssl.SSLException;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * Proves that a private key belongs to a certificate before a TLS context is built from them. Netty's BoringSSL
 * context accepts a mismatched pair and then fails every handshake, so a key replaced before its certificate (or a
 * wrong file named in the configuration) would take a collector off the air; refused here, the previous pair stays
 * in force and the error names both files.
 */
final class MatchingKey {
    private static final byte[] CHALLENGE = "hvwatch key check".getBytes(StandardCharsets.US_ASCII);

    private MatchingKey() {
    }

    static void require(TlsFiles files) throws SSLException {
        boolean matches;
        try {
            PublicKey certified = new JcaPEMKeyConverter()
                    .getPublicKey(PemFiles.readCertificate(files.cert()).getSubjectPublicKeyInfo());
            PrivateKey key = PemFiles.readPrivateKey(files.key());
            matches = certified.getAlgorithm().equals(key.getAlgorithm()) && signsFor(key, certified);
        } catch (IOException | GeneralSecurityException e) {
            throw new SSLException("cannot check that the private key " + files.key()
                    + " belongs to the certificate " + files.cert() + ": " + e.getMessage(), e);
        }
        if (!matches) {
            throw new SSLException("the private key " + files.key() + " does not belong to the certificate "
                    + files.cert());
        }
    }

    /** A signature the certificate's public key verifies: works for every key type a TLS certificate carries. */
    private static boolean signsFor(PrivateKey key, PublicKey certified) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> throw new GeneralSecurityException("keys of type " + key.getAlgorithm() + " are not supported");
        };
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(CHALLENGE);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(certified);
        verifier.update(CHALLENGE);
        return verifier.verify(signature);
    }
}
