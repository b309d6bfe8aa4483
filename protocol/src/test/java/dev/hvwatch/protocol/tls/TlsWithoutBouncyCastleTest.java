package dev.hvwatch.protocol.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent runs without BouncyCastle (an optional dependency of this module, the collector's only): its TLS
 * contexts, key check included, must build from the class path the agent has. Loaded here in a class loader that
 * has this module and Netty but no BouncyCastle.
 */
class TlsWithoutBouncyCastleTest {
    @TempDir
    Path dir;

    @Test
    void theAgentsContextBuildsAndAMismatchedKeyIsRefused() throws Exception {
        Pki pki = Pki.createCa(dir, "hvwatch test CA");
        TlsFiles agent = pki.issueAgent("kvm-01");
        TlsFiles other = pki.issueAgent("kvm-02");

        try (URLClassLoader loader = new URLClassLoader(classPathWithoutBouncyCastle(),
                ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> loader.loadClass("org.bouncycastle.openssl.PEMParser"))
                    .isInstanceOf(ClassNotFoundException.class);
            Class<?> files = loader.loadClass(TlsFiles.class.getName());
            Method client = loader.loadClass(TlsContexts.class.getName()).getMethod("client", files);
            Object matching = files.getConstructor(Path.class, Path.class, Path.class)
                    .newInstance(agent.cert(), agent.key(), agent.ca());
            Object mismatched = files.getConstructor(Path.class, Path.class, Path.class)
                    .newInstance(agent.cert(), other.key(), agent.ca());

            assertThat(client.invoke(null, matching).getClass().getName()).startsWith("io.netty.handler.ssl.");
            assertThatThrownBy(() -> client.invoke(null, mismatched)).isInstanceOf(InvocationTargetException.class)
                    .cause().isInstanceOf(SSLException.class).hasMessageContaining("does not belong to the certificate");
        }
    }

    /** Surefire runs tests from a manifest-only jar and names the real class path in its own property. */
    private static URL[] classPathWithoutBouncyCastle() throws Exception {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<URL> urls = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (!entry.isEmpty() && !new File(entry).getName().startsWith("bc")) {
                urls.add(new File(entry).toURI().toURL());
            }
        }
        return urls.toArray(URL[]::new);
    }
}
