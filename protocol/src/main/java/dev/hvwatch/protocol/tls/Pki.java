package dev.hvwatch.protocol.tls;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CRLEntryHolder;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * A small certificate authority for hvwatch: one CA that issues collector (server) certificates and agent (client)
 * certificates whose CN is the host identity, and revokes them. Everything is written as PEM into one directory:
 * {@code ca.pem}, {@code ca-key.pem}, {@code crl.pem} (the certificates revoked so far, signed by the CA) and
 * {@code NAME.pem} / {@code NAME-key.pem} per issued certificate.
 */
public final class Pki {
    private static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration LEAF_VALIDITY = Duration.ofDays(397);
    /** Collectors check revocation against the list they hold whatever its date; the field is for other tools. */
    private static final Duration CRL_VALIDITY = Duration.ofDays(365);
    /** Tolerates hosts whose clocks run a little behind the one that issued the certificate. */
    private static final Duration BACKDATE = Duration.ofHours(1);
    /** The names go into file names, so they are held to host-name characters. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final List<String> LOOPBACK_NAMES = List.of("localhost", "127.0.0.1", "::1");

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final KeyPair caKeys;
    private final X509CertificateHolder caCertificate;

    private Pki(Path dir, KeyPair caKeys, X509CertificateHolder caCertificate) {
        this.dir = dir;
        this.caKeys = caKeys;
        this.caCertificate = caCertificate;
    }

    /** Creates a new CA with subject CN {@code caName} and writes it to {@code dir}, which is created if missing. */
    public static Pki createCa(Path dir, String caName) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        KeyPair keys = newKeyPair();
        X500Name subject = cn(caName);
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_VALIDITY)), subject, keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(Extension.subjectKeyIdentifier, false,
                        new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
        Pki pki = new Pki(dir, keys, sign(builder, keys));
        write(pki.caCert(), pki.caCertificate);
        writeKey(pki.caKey(), keys);
        pki.writeCrl(List.of());
        return pki;
    }

    /** The CA that {@link #createCa} wrote to {@code dir}, to issue or revoke more certificates with it. */
    public static Pki load(Path dir) throws IOException, GeneralSecurityException {
        Path cert = dir.resolve("ca.pem");
        Path key = dir.resolve("ca-key.pem");
        X509CertificateHolder certificate = PemFiles.readCertificate(cert);
        KeyPair keys = new KeyPair(new JcaX509CertificateConverter().getCertificate(certificate).getPublicKey(),
                PemFiles.readPrivateKey(key));
        return new Pki(dir, keys, certificate);
    }

    /** The CA certificate, the trust bundle for both ends. */
    public Path caCert() {
        return dir.resolve("ca.pem");
    }

    private Path caKey() {
        return dir.resolve("ca-key.pem");
    }

    /** The certificate revocation list, for the collector's {@code tls.crl}. */
    public Path crl() {
        return dir.resolve("crl.pem");
    }

    /**
     * Adds the certificate in {@code certPem}, which this CA must have issued, to the revocation list and writes the
     * list anew. A collector whose {@code tls.crl} names the list refuses the certificate once it has reloaded it.
     *
     * @return the revoked certificate's serial number
     */
    public BigInteger revoke(Path certPem) throws IOException, GeneralSecurityException {
        X509CertificateHolder certificate = PemFiles.readCertificate(certPem);
        if (!certificate.getIssuer().equals(caCertificate.getSubject())) {
            throw new GeneralSecurityException(certPem + " was issued by " + certificate.getIssuer()
                    + ", not by this CA (" + caCertificate.getSubject() + ")");
        }
        List<BigInteger> revoked = new ArrayList<>(revokedSerials());
        if (!revoked.contains(certificate.getSerialNumber())) {
            revoked.add(certificate.getSerialNumber());
            writeCrl(revoked);
        }
        return certificate.getSerialNumber();
    }

    private List<BigInteger> revokedSerials() throws IOException {
        if (!Files.exists(crl())) {
            return List.of();
        }
        List<BigInteger> serials = new ArrayList<>();
        for (Object entry : PemFiles.readCrl(crl()).getRevokedCertificates()) {
            serials.add(((X509CRLEntryHolder) entry).getSerialNumber());
        }
        return serials;
    }

    private void writeCrl(List<BigInteger> serials) throws IOException, GeneralSecurityException {
        Instant now = Instant.now();
        X509v2CRLBuilder builder = new X509v2CRLBuilder(caCertificate.getSubject(), Date.from(now))
                .setNextUpdate(Date.from(now.plus(CRL_VALIDITY)));
        for (BigInteger serial : serials) {
            builder.addCRLEntry(serial, Date.from(now), CRLReason.keyCompromise);
        }
        builder.addExtension(Extension.authorityKeyIdentifier, false,
                new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caKeys.getPublic()));
        try {
            X509CRLHolder crl = builder.build(new JcaContentSignerBuilder(SIGNATURE).build(caKeys.getPrivate()));
            writePem(crl(), crl, PUBLIC);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign with " + SIGNATURE, e);
        }
    }

    /**
     * Issues a collector certificate with CN {@code name}, valid for {@code name}, the loopback names and
     * {@code extraNames} (host names or IP addresses).
     */
    public TlsFiles issueServer(String name, String... extraNames) throws IOException, GeneralSecurityException {
        Set<String> names = new LinkedHashSet<>();
        names.add(name);
        names.addAll(LOOPBACK_NAMES);
        names.addAll(List.of(extraNames));
        return issue(name, name, KeyPurposeId.id_kp_serverAuth, subjectAltNames(names));
    }

    /** Issues an agent certificate whose CN is the host identity the collector will attribute its alerts to. */
    public TlsFiles issueAgent(String identity) throws IOException, GeneralSecurityException {
        return issueAgent(identity, identity);
    }

    /**
     * Like {@link #issueAgent(String)}, written as {@code fileName.pem} and {@code fileName-key.pem}: the names the
     * agent's configuration expects where the agent runs on the issuing host.
     */
    public TlsFiles issueAgent(String identity, String fileName) throws IOException, GeneralSecurityException {
        return issue(identity, fileName, KeyPurposeId.id_kp_clientAuth, null);
    }

    private TlsFiles issue(String name, String fileName, KeyPurposeId purpose, GeneralNames altNames)
            throws IOException, GeneralSecurityException {
        for (String checked : List.of(name, fileName)) {
            if (!NAME.matcher(checked).matches()) {
                throw new IllegalArgumentException("certificate name '" + checked + "' must match " + NAME.pattern());
            }
        }
        KeyPair keys = newKeyPair();
        Instant now = Instant.now();
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCertificate.getSubject(), serial(),
                Date.from(now.minus(BACKDATE)), Date.from(now.plus(LEAF_VALIDITY)), cn(name), keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                .addExtension(Extension.subjectKeyIdentifier, false,
                        extensions.createSubjectKeyIdentifier(keys.getPublic()))
                .addExtension(Extension.authorityKeyIdentifier, false,
                        extensions.createAuthorityKeyIdentifier(caKeys.getPublic()));
        if (altNames != null) {
            builder.addExtension(Extension.subjectAlternativeName, false, altNames);
        }
        TlsFiles files = new TlsFiles(dir.resolve(fileName + ".pem"), dir.resolve(fileName + "-key.pem"), caCert());
        // The key first: a collector reloading between the two renames sees a pair that does not match, refuses it
        // and keeps the previous one until the certificate follows.
        writeKey(files.key(), keys);
        write(files.cert(), sign(builder, caKeys));
        return files;
    }

    private static GeneralNames subjectAltNames(Set<String> names) {
        List<GeneralName> altNames = new ArrayList<>();
        for (String name : names) {
            altNames.add(new GeneralName(IPAddress.isValid(name) ? GeneralName.iPAddress : GeneralName.dNSName, name));
        }
        return new GeneralNames(altNames.toArray(GeneralName[]::new));
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X500Name cn(String name) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
    }

    /** Unpredictable, positive and non-zero, within RFC 5280's limit of 20 octets. */
    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).setBit(0);
    }

    private static X509CertificateHolder sign(X509v3CertificateBuilder builder, KeyPair signer)
            throws GeneralSecurityException {
        try {
            ContentSigner contentSigner = new JcaContentSignerBuilder(SIGNATURE).build(signer.getPrivate());
            return builder.build(contentSigner);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign with " + SIGNATURE, e);
        }
    }

    private static void write(Path file, X509CertificateHolder certificate) throws IOException {
        writePem(file, certificate, PUBLIC);
    }

    /** PKCS#8, unencrypted, readable by the owner only: created with those permissions so it is never exposed. */
    private static void writeKey(Path file, KeyPair keys) throws IOException {
        writePem(file, new JcaPKCS8Generator(keys.getPrivate(), null), OWNER_ONLY);
    }

    /**
     * Written beside and renamed over, so that a collector or agent reloading the file never reads half of it and an
     * open file keeps its content.
     */
    private static void writePem(Path file, Object object, Set<PosixFilePermission> permissions) throws IOException {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        Files.createFile(partial, PosixFilePermissions.asFileAttribute(permissions));
        try (Writer out = Files.newBufferedWriter(partial, StandardCharsets.US_ASCII);
             JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(object);
        }
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
