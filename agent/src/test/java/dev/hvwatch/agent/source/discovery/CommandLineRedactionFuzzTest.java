package dev.hvwatch.agent.source.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds QEMU command lines from fuzzer input around a secret planted where QEMU itself would read it as a secret
 * (a value of an unlisted key in QemuOpts or JSON at any depth, the whole value of an unlisted option, a URL's
 * user-info, an option-embedding pseudo-filename), amid arbitrary kept options, keys and values. Whatever the
 * surroundings, no byte sequence of the secret may survive {@link CommandLineRedaction#redact}, and no input may
 * make it throw.
 *
 * <p>{@code mvn test} replays the inputs under {@code src/test/resources/.../CommandLineRedactionFuzzTestInputs}.
 * To fuzz: {@code JAZZER_FUZZ=1 JAZZER_MAX_DURATION=10m mvn -B -o -pl agent test -Dtest=CommandLineRedactionFuzzTest}.
 */
class CommandLineRedactionFuzzTest {
    private static final String SECRET = "Zx9SECRETq";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> STRUCTURED = List.of("object", "device", "drive", "blockdev", "netdev",
            "chardev", "spice", "vnc", "machine", "name", "qmp", "monitor");
    private static final List<String> SAFE = List.of("id", "driver", "path", "file", "filename", "host", "addr",
            "port", "format", "node-name", "size", "server");
    private static final List<String> SENSITIVE = List.of("data", "iv", "password", "passwd", "key", "user",
            "secret", "string", "keyid-data", "x-password");
    private static final List<String> OPAQUE = List.of("iscsi", "append", "incoming", "fw_cfg", "smbios", "set",
            "x-newer-option");

    @FuzzTest(maxDuration = "5m")
    void noPlantedSecretSurvives(FuzzedDataProvider data) {
        List<String> argv = new ArrayList<>();
        argv.add("qemu-system-x86_64");
        int options = data.consumeInt(1, 8);
        for (int i = 0; i < options; i++) {
            switch (data.consumeInt(0, 5)) {
                case 0 -> argv.addAll(List.of("-" + data.pickValue(STRUCTURED), qemuOpts(data)));
                case 1 -> argv.addAll(List.of("-" + data.pickValue(STRUCTURED), json(data, data.consumeInt(0, 3))));
                case 2 -> argv.addAll(List.of("-" + data.pickValue(OPAQUE), "a" + text(data) + SECRET + text(data)));
                case 3 -> argv.add(text(data).replaceFirst("^-+", "") + url(data));
                case 4 -> argv.addAll(List.of("-drive", "file=" + data.pickValue(List.of("json:", "rbd:"))
                        + escape(text(data) + SECRET + text(data))));
                default -> argv.add("-" + data.pickValue(List.of("nodefaults", "S", "enable-kvm")));
            }
        }
        assertThat(String.join("\n", CommandLineRedaction.redact(argv))).doesNotContain(SECRET);
    }

    @FuzzTest(maxDuration = "2m")
    void anyArgvIsRedactedWithoutFailing(FuzzedDataProvider data) {
        List<String> argv = new ArrayList<>();
        while (data.remainingBytes() > 0) {
            argv.add(data.consumeString(64));
        }
        assertThat(CommandLineRedaction.redact(argv)).hasSameSizeAs(argv);
    }

    /** A QemuOpts value: kept elements in any order around one secret under an unlisted key. */
    private static String qemuOpts(FuzzedDataProvider data) {
        List<String> elements = new ArrayList<>();
        elements.add(escape(text(data)));
        int n = data.consumeInt(0, 5);
        int secretAt = data.consumeInt(0, n);
        for (int i = 0; i <= n; i++) {
            if (i == secretAt) {
                elements.add(sensitiveKey(data) + "=" + escape(text(data) + SECRET + text(data)));
            } else if (data.consumeBoolean()) {
                elements.add(data.pickValue(SAFE) + "=" + escape(data.consumeBoolean() ? text(data) : url(data)));
            } else {
                elements.add(escape(key(data)) + "=" + escape(text(data)));
            }
        }
        return String.join(",", elements);
    }

    private static String json(FuzzedDataProvider data, int depth) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode at = root;
        for (int d = 0; d < depth; d++) {
            at.put(data.pickValue(SAFE), text(data));
            at = at.putObject(data.consumeBoolean() ? data.pickValue(SAFE) : key(data));
        }
        at.put(data.pickValue(SAFE), url(data));
        if (data.consumeBoolean()) {
            at.put(sensitiveKey(data), text(data) + SECRET);
        } else {
            at.putArray(sensitiveKey(data)).add(text(data)).add(SECRET + text(data));
        }
        return root.toString();
    }

    /** A URL whose user-info holds the secret; its password may hold '@' and ':'. */
    private static String url(FuzzedDataProvider data) {
        String scheme = data.pickValue(List.of("http", "https", "iscsi", "nbd+unix", "ssh", "gluster"));
        String password = data.consumeBoolean() ? SECRET : "p@" + SECRET + ":x";
        return scheme + "://" + userInfoPart(data) + ":" + password + "@h" + userInfoPart(data) + "/"
                + text(data).replace("@", "");
    }

    private static String sensitiveKey(FuzzedDataProvider data) {
        String key = data.consumeBoolean() ? data.pickValue(SENSITIVE) : key(data);
        return CommandLineRedaction.safeKey(key) ? "x" + key.replace(".", "") + "x" : key;
    }

    private static String key(FuzzedDataProvider data) {
        String key = text(data).replaceAll("[=,]", "");
        return key.isEmpty() ? "k" : key;
    }

    private static String userInfoPart(FuzzedDataProvider data) {
        return text(data).replaceAll("[/?#@:]", "");
    }

    /** Fuzzer text that cannot itself spell the secret, even next to it: it has no 'Z', the secret's first letter. */
    private static String text(FuzzedDataProvider data) {
        return data.consumeString(24).replace("Z", "");
    }

    /** QEMU's escaping: a comma inside a value is doubled. */
    private static String escape(String value) {
        return value.replace(",", ",,");
    }
}
