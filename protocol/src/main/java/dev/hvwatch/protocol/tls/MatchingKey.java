package dev.hvwatch.protocol.tls;

import io.netty.handler.ssl.SslContext;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import javax.net.ssl.SSLException;

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
            PublicKey certified = NettyPem.leaf(files.cert().toFile()).getPublicKey();
            PrivateKey key = NettyPem.key(files.key().toFile());
            matches = signsFor(key, certified);
        } catch (Exception e) {
            // Netty's readers throw the JDK's checked exceptions of every kind (key, spec, algorithm, I/O).
            throw new SSLException("cannot check that the private key " + files.key()
                    + " belongs to the certificate " + files.cert() + ": " + e.getMessage(), e);
        }
        if (!matches) {
            throw new SSLException("the private key " + files.key() + " does not belong to the certificate "
                    + files.cert());
        }
    }

    /**
     * A signature the certificate's public key verifies: works for every key type a TLS certificate carries. A key of
     * another type than the certificate's fails to initialise the verifier, which is a mismatch too.
     */
    private static boolean signsFor(PrivateKey read, PublicKey certified) throws GeneralSecurityException {
        // Where BouncyCastle read the key (its "ECDSA" keys), the JDK's providers want their own key objects.
        String keyType = read.getAlgorithm().equals("ECDSA") ? "EC" : read.getAlgorithm();
        PrivateKey key = KeyFactory.getInstance(keyType).generatePrivate(new PKCS8EncodedKeySpec(read.getEncoded()));
        String algorithm = switch (keyType) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "Ed448", "EdDSA" -> keyType;
            default -> throw new GeneralSecurityException("keys of type " + keyType + " are not supported");
        };
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(CHALLENGE);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        try {
            verifier.initVerify(certified);
        } catch (InvalidKeyException e) {
            return false;
        }
        verifier.update(CHALLENGE);
        return verifier.verify(signature);
    }

    /**
     * Netty's own PEM readers, protected in {@link SslContext}: the check reads the files exactly as the context then
     * will (PKCS#8 everywhere; the traditional OpenSSL forms where BouncyCastle is present, as in the collector), and
     * the agent, which has no BouncyCastle, needs nothing more. Never instantiated.
     */
    private abstract static class NettyPem extends SslContext {
        static X509Certificate leaf(File file) throws Exception {
            X509Certificate[] chain = toX509Certificates(file);
            if (chain == null || chain.length == 0) {
                throw new SSLException(file + " holds no certificate");
            }
            return chain[0];
        }

        static PrivateKey key(File file) throws Exception {
            return toPrivateKey(file, null);
        }
    }
}
