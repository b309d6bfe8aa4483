package dev.hvwatch.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The agent's runtime holds only what the agent runs, and its package stays small enough that an ops team compares it
 * with the exporters it already installs (BENCHMARKS.md, "Agent footprint"). A new library on the agent's class path
 * must be added to {@link #RUNTIME} here, with its reason.
 */
class AgentRuntimeIT {
    private static final long DEB_BYTES_MAX = 15_000_000;
    private static final Path AGENT_TARGET = Path.of("../agent/target");

    /** The agent's runtime libraries by artifact (versions left out), each with what needs it. */
    private static final List<String> RUNTIME = List.of(
            "hvwatch-protocol", "hvwatch-native-bindings",
            // the ring between sources and consumers
            "disruptor",
            // the spool (Chronicle Queue), and what it needs: its POSIX calls through jnr-ffi take jnr-constants
            "chronicle-queue", "chronicle-core", "chronicle-bytes", "chronicle-wire", "chronicle-threads", "affinity",
            "compiler", "posix", "jnr-constants", "commons-cli",
            // native-bindings: perf_event_open, libvirt
            "jnr-ffi", "jffi", "jffi-native", "jnr-a64asm", "jnr-x86asm", "asm", "asm-commons", "asm-analysis",
            "asm-tree", "asm-util",
            // /metrics
            "micrometer-core", "micrometer-commons", "micrometer-observation", "jspecify", "HdrHistogram",
            "micrometer-registry-prometheus", "prometheus-metrics-core", "prometheus-metrics-model",
            "prometheus-metrics-config", "prometheus-metrics-tracer-common",
            "prometheus-metrics-exposition-textformats",
            // shipping alerts over TLS 1.3 with client certificates (the JDK's TLS: no BoringSSL, see agent/pom.xml)
            "netty-common", "netty-buffer", "netty-transport", "netty-resolver", "netty-handler",
            "netty-codec-base", "netty-transport-native-unix-common",
            // configuration (YAML), alerts and QMP (JSON)
            "jackson-databind", "jackson-core", "jackson-annotations", "jackson-dataformat-yaml", "snakeyaml",
            // the command line, top's terminal
            "picocli", "jline-terminal", "jline-native",
            // logging whose converters escape what a guest controls
            "slf4j-api", "logback-classic", "logback-core",
            // /metrics: concurrent clients, timeouts, TLS, basic auth (bcrypt)
            "netty-codec-http", "netty-codec-compression", "spring-security-crypto");

    /** What the agent must never carry: it is the collector's, the tests', or another system's. */
    private static final List<String> NEVER = List.of("hvwatch-collector", "hvwatch-testkit", "hvwatch-demo",
            "kafka-clients", "zstd-jni", "snappy-java", "lz4-java", "bcpkix-jdk18on", "bcprov-jdk18on", "jna",
            "prometheus-metrics-exposition-formats");

    private static final Pattern VERSION = Pattern.compile("-\\d[^-]*(-SNAPSHOT)?(?=(-[a-z][\\w-]*)?\\.jar$)");

    @Test
    void theAgentsRuntimeClassPathHoldsExactlyWhatTheAgentRuns() throws Exception {
        List<String> artifacts = classPath().stream().map(AgentRuntimeIT::artifact).sorted().toList();
        assertThat(artifacts).doesNotContainAnyElementsOf(NEVER);
        assertThat(artifacts).containsExactlyInAnyOrderElementsOf(RUNTIME);
    }

    @Test
    void everyNativeLibraryTheAgentShipsIsForLinuxOnX86OrArm64() throws Exception {
        List<String> natives = new ArrayList<>();
        for (String library : classPath()) {
            try (JarFile jar = new JarFile(AGENT_TARGET.resolve(library).toFile())) {
                jar.stream().map(e -> e.getName())
                        .filter(n -> n.matches(".*\\.(so|dll|dylib|jnilib|a)$"))
                        .forEach(n -> natives.add(library + "!" + n));
            }
        }
        assertThat(natives).isNotEmpty().allSatisfy(n -> assertThat(n.toLowerCase())
                .containsAnyOf("linux")
                .containsAnyOf("x86_64", "x86-64", "aarch64", "aarch_64", "arm64"));
    }

    @Test
    void theAgentsDebIsAtMost15Megabytes() throws Exception {
        Path deb = Packages.deb("hvwatch-agent");
        assertThat(Files.size(deb)).as(deb + " in bytes").isLessThanOrEqualTo(DEB_BYTES_MAX);
    }

    /** The libraries the agent's jar names in its manifest: what {@code java -jar} loads. */
    private static List<String> classPath() throws Exception {
        try (JarFile jar = new JarFile(AGENT_TARGET.resolve("hvwatch-agent.jar").toFile())) {
            return Arrays.asList(jar.getManifest().getMainAttributes().getValue("Class-Path").split(" "));
        }
    }

    /** {@code lib/jffi-1.4.3-native.jar} → {@code jffi-native}; a classifier stays, the version goes. */
    static String artifact(String library) {
        String file = library.substring(library.lastIndexOf('/') + 1);
        return VERSION.matcher(file).replaceFirst("").replaceFirst("\\.jar$", "");
    }
}
