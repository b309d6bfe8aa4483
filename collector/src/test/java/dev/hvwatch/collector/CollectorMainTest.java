package dev.hvwatch.collector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.testkit.HostTool;
import dev.hvwatch.protocol.tls.TlsFiles;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectorMainTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private TlsFiles tls;

    @BeforeEach
    void certificates() throws Exception {
        tls = Pki.createCa(dir, "hvwatch test CA").issueServer("collector");
    }

    @Test
    void checkConfigAcceptsAGoodFile() throws Exception {
        Path config = write("listen: 127.0.0.1:0\n" + tlsKeys());

        assertThat(run("check-config", "--config", config.toString())).isZero();
        assertThat(out.toString()).contains("OK").contains("listen 127.0.0.1:0");
    }

    @Test
    void checkConfigNamesAnUnknownKeyAndItsLineAndExitsWith2() throws Exception {
        Path config = write(tlsKeys() + "jounral:\n  dir: x\n");

        assertThat(run("check-config", "--config", config.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("line 5: unknown key 'jounral'");
    }

    @Test
    void checkConfigLoadsTheTlsFiles() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a key\n");
        Path config = write(tlsKeys().replace(tls.key().toString(), garbage.toString()));

        assertThat(run("check-config", "--config", config.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("tls: ");
    }

    @Test
    void checkConfigNamesATlsFileThatDoesNotExist() throws Exception {
        Path absent = dir.resolve("absent.pem");
        Path config = write(tlsKeys().replace(tls.key().toString(), absent.toString()));

        assertThat(run("check-config", "--config", config.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("tls.key: " + absent + " does not exist");
    }

    @Test
    void badUsageExitsWith2() {
        assertThat(run()).isEqualTo(2);
        assertThat(run("check-config")).isEqualTo(2);
        assertThat(run("frobnicate")).isEqualTo(2);
    }

    @Test
    void runFailingToStartExitsWith1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path config = write("listen: 127.0.0.1:" + taken.getLocalPort() + "\n" + tlsKeys()
                    + "journal:\n  dir: journal\napi:\n  listen: 127.0.0.1:0\n");

            assertThat(run("run", "--config", config.toString())).isEqualTo(1);
            assertThat(err.toString()).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void certsCommandsCreateACaIssueCertificatesAndRevokeThem() throws Exception {
        Path ca = dir.resolve("ca");

        assertThat(run("certs", "ca", "--dir", ca.toString(), "--name", "SOC CA")).isZero();
        assertThat(run("certs", "issue-collector", "--dir", ca.toString(), "collector-1", "--san",
                "soc.example.net")).isZero();
        assertThat(run("certs", "issue-agent", "--dir", ca.toString(), "kvm-07")).isZero();
        assertThat(run("certs", "revoke", "--dir", ca.toString(), ca.resolve("kvm-07.pem").toString())).isZero();

        X509Certificate agent = certificate(ca.resolve("kvm-07.pem"));
        agent.verify(certificate(ca.resolve("ca.pem")).getPublicKey());
        assertThat(agent.getSubjectX500Principal().getName()).isEqualTo("CN=kvm-07");
        assertThat(ca.resolve("collector-1-key.pem")).exists();
        X509CRL crl;
        try (InputStream in = Files.newInputStream(ca.resolve("crl.pem"))) {
            crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
        }
        assertThat(crl.isRevoked(agent)).isTrue();
        assertThat(out.toString()).contains("revoked serial " + agent.getSerialNumber().toString(16));
    }

    @Test
    void issuedKeysAreGivenToTheServiceUserWhereTheOwnerIsNamed() throws Exception {
        HostTool.requireOnCi("root".equals(System.getProperty("user.name")),
                "giving a file to another user takes root");
        Path ca = dir.resolve("ca");
        assertThat(run("certs", "ca", "--dir", ca.toString())).isZero();

        assertThat(run("certs", "issue-agent", "--dir", ca.toString(), "--file-name", "agent", "--owner", "nobody",
                "hv-01.example.net")).isZero();
        assertThat(run("certs", "issue-collector", "--dir", ca.toString(), "--owner", "nobody", "collector")).isZero();

        for (String key : List.of("agent-key.pem", "collector-key.pem")) {
            assertThat(Files.getOwner(ca.resolve(key)).getName()).isEqualTo("nobody");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ca.resolve(key))))
                    .isEqualTo("rw-------");
        }
        assertThat(Files.getOwner(ca.resolve("agent.pem")).getName()).as("the certificate is public").isEqualTo("root");
        assertThat(certificate(ca.resolve("agent.pem")).getSubjectX500Principal().getName())
                .isEqualTo("CN=hv-01.example.net");
        assertThat(out.toString()).contains("(key " + ca.resolve("agent-key.pem") + ", owned by nobody)");
    }

    @Test
    void anUnknownOwnerIsABadUsageAndIssuesNothing() {
        Path ca = dir.resolve("ca");
        assertThat(run("certs", "ca", "--dir", ca.toString())).isZero();

        assertThat(run("certs", "issue-agent", "--dir", ca.toString(), "--owner", "no-such-user-hvw", "hv-02"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--owner no-such-user-hvw: no such user on this host");
        assertThat(ca.resolve("hv-02.pem")).doesNotExist();
    }

    @Test
    void certsCaRefusesToReplaceAnExistingCa() {
        Path ca = dir.resolve("ca");
        assertThat(run("certs", "ca", "--dir", ca.toString())).isZero();

        assertThat(run("certs", "ca", "--dir", ca.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("refusing to replace a CA");
    }

    private static X509Certificate certificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private String tlsKeys() {
        return "tls:\n  cert: " + tls.cert() + "\n  key: " + tls.key() + "\n  ca: " + tls.ca() + "\n";
    }

    private Path write(String yaml) throws Exception {
        return Files.writeString(dir.resolve("collector.yaml"), yaml);
    }

    private int run(String... args) {
        return CollectorMain.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }
}
