package dev.hvwatch.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PkiTest {
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

    @TempDir
    Path dir;

    @Test
    void agentCertificateNamesTheHostAndIsSignedByTheCa() throws Exception {
        Pki pki = Pki.createCa(dir, "hvwatch test CA");

        TlsFiles files = pki.issueAgent("kvm-01.example.org");

        X509Certificate ca = read(pki.caCert());
        X509Certificate agent = read(files.cert());
        agent.verify(ca.getPublicKey());
        agent.checkValidity();
        assertThat(PeerIdentity.commonName(agent)).isEqualTo("kvm-01.example.org");
        assertThat(agent.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
        assertThat(agent.getBasicConstraints()).isEqualTo(-1);
        assertThat(ca.getBasicConstraints()).isZero();
        assertThat(files.ca()).isEqualTo(pki.caCert());
    }

    @Test
    void anAgentCertificateCanBeWrittenUnderTheFileNamesTheAgentsConfigurationExpects() throws Exception {
        Pki pki = Pki.createCa(dir, "hvwatch test CA");

        TlsFiles files = pki.issueAgent("hv-01.example.org", "agent");

        assertThat(files.cert()).isEqualTo(dir.resolve("agent.pem"));
        assertThat(files.key()).isEqualTo(dir.resolve("agent-key.pem"));
        assertThat(PeerIdentity.commonName(read(files.cert()))).isEqualTo("hv-01.example.org");
        assertThatThrownBy(() -> pki.issueAgent("hv-01", "../agent")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void serverCertificateCoversLoopbackAndTheGivenNames() throws Exception {
        Pki pki = Pki.createCa(dir, "hvwatch test CA");

        TlsFiles files = pki.issueServer("collector", "soc.example.org", "10.1.2.3");

        X509Certificate server = read(files.cert());
        assertThat(server.getSubjectAlternativeNames())
                .extracting(name -> (Object) name.get(1))
                .contains((Object) "collector", "localhost", "127.0.0.1", "soc.example.org", "10.1.2.3");
        assertThat(server.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
    }

    @Test
    void privateKeysArePkcs8AndReadableByTheOwnerOnly() throws Exception {
        Pki pki = Pki.createCa(dir, "hvwatch test CA");

        TlsFiles files = pki.issueAgent("kvm-01");

        for (Path key : List.of(files.key(), dir.resolve("ca-key.pem"))) {
            assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        }
    }

    @Test
    void namesThatCannotBeFileNamesAreRefused() throws Exception {
        Pki pki = Pki.createCa(dir, "hvwatch test CA");

        assertThatThrownBy(() -> pki.issueAgent("../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
    }

    static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
