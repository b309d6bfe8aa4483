package dev.hvwatch.collector.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.testing.TestPki;
import dev.hvwatch.protocol.tls.TlsFiles;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which changed files {@link ServerTls} takes into force and which it refuses. */
class ServerTlsTest {
    @TempDir
    Path dir;

    private TestPki pki;
    private TlsFiles collector;
    private ServerTls tls;

    @BeforeEach
    void load() throws Exception {
        pki = new TestPki(dir);
        collector = pki.collectorFiles();
        tls = ServerTls.load(new CollectorConfig.Tls(collector.cert(), collector.key(), collector.ca(), null,
                Duration.ofSeconds(1)));
    }

    @Test
    void unchangedFilesAreNotReloaded() {
        SslContext before = tls.context();

        assertThat(tls.reloadIfChanged()).isFalse();
        assertThat(tls.context()).isSameAs(before);
        assertThat(tls.reloads()).isZero();
    }

    @Test
    void aReissuedCertificateIsTakenIntoForce() throws Exception {
        SslContext before = tls.context();

        pki.pki().issueServer("collector");

        assertThat(tls.reloadIfChanged()).isTrue();
        assertThat(tls.context()).isNotSameAs(before);
        assertThat(tls.reloads()).isEqualTo(1);
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificateIsRefusedAndThePreviousFilesStayUntilMended() throws Exception {
        SslContext before = tls.context();
        TlsFiles other = pki.agent("kvm-01");
        Path rightKey = Files.copy(collector.key(), dir.resolve("right-key.pem"));

        Files.copy(other.key(), collector.key(), StandardCopyOption.REPLACE_EXISTING);

        assertThat(tls.reloadIfChanged()).isFalse();
        assertThat(tls.context()).isSameAs(before);
        assertThat(tls.reloadFailures()).isEqualTo(1);
        assertThat(tls.reloadIfChanged()).as("the same refused files are not tried again").isFalse();
        assertThat(tls.reloadFailures()).isEqualTo(1);

        Files.copy(rightKey, collector.key(), StandardCopyOption.REPLACE_EXISTING);

        assertThat(tls.reloadIfChanged()).isTrue();
        assertThat(tls.context()).isNotSameAs(before);
    }
}
