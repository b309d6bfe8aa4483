package dev.hvwatch.collector.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.collector.testing.ApiFixture;
import dev.hvwatch.protocol.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiTokensTest {
    private static final String GOOD = "a".repeat(32);

    @TempDir
    Path dir;

    @Test
    void findsTheHolderOfEachTokenAndNobodyForOthers() throws Exception {
        ApiTokens tokens = ApiTokens.load(ApiFixture.tokensFile(dir, "# SOC readers", "", "siem " + GOOD,
                "  grafana   " + "b".repeat(40) + "  "));

        assertThat(tokens.size()).isEqualTo(2);
        assertThat(tokens.holder(GOOD)).isEqualTo("siem");
        assertThat(tokens.holder("b".repeat(40))).isEqualTo("grafana");
        assertThat(tokens.holder("a".repeat(31))).isNull();
        assertThat(tokens.holder("")).isNull();
        assertThat(ApiTokens.none().holder(GOOD)).isNull();
    }

    @Test
    void mistakesAreNamedWithTheirLineButNeverEchoTheToken() throws Exception {
        String secretButShort = "s3cr3t-but-short";
        assertRefused("line 2: the token of siem must be at least 32", "# readers", "siem " + secretButShort);
        assertRefused("line 1: write NAME TOKEN", GOOD);
        assertRefused("line 1: write NAME TOKEN", "siem " + GOOD + " extra");
        assertRefused("line 1: the name must match", "-siem " + GOOD);
        assertRefused("line 2: the token of grafana is also the token of siem", "siem " + GOOD, "grafana " + GOOD);
        assertRefused("line 2: the name siem is given twice", "siem " + GOOD, "siem " + "c".repeat(32));
        assertThatThrownBy(() -> ApiTokens.load(ApiFixture.tokensFile(dir, "siem " + secretButShort)))
                .hasMessageNotContaining(secretButShort);
    }

    @Test
    void aFileOthersCanReadIsRefused() throws Exception {
        Path file = ApiFixture.tokensFile(dir, "siem " + GOOD);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> ApiTokens.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ": readable by other users; chmod o-rw it");
        assertThatThrownBy(() -> ApiTokens.load(dir.resolve("absent"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("cannot read the API tokens");
    }

    @Test
    void aRefusedFileIsTriedAgainOnceItChangesNotAtEveryCheck() throws Exception {
        Path file = ApiFixture.tokensFile(dir, "siem " + GOOD);
        ApiTokens tokens = ApiTokens.load(file);
        Files.writeString(file, "siem " + GOOD + "\ngrafana " + "b".repeat(40) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(tokens::reloadIfChanged).hasMessage(file + ": readable by other users; chmod o-rw it");
        assertThat(tokens.reloadIfChanged()).as("the same refused file: not read again").isFalse();
        assertThat(tokens.size()).isEqualTo(1);

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        assertThat(tokens.reloadIfChanged()).as("mended by chmod alone").isTrue();
        assertThat(tokens.holder("b".repeat(40))).isEqualTo("grafana");
    }

    private void assertRefused(String message, String... lines) throws Exception {
        Path file = ApiFixture.tokensFile(dir, lines);
        assertThatThrownBy(() -> ApiTokens.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + " ").hasMessageContaining(message);
    }
}
