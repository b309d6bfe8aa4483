package dev.hvwatch.collector.output.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.collector.testing.TestAlerts;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.VmRef;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CefTest {
    /** Pipes, equals signs, backslashes, line breaks, CEF's own syntax and non-ASCII text, all at once. */
    private static final String HOSTILE = "a|b=c\\d\ne\r\nf \\| \\= \\\\n café 東京 🙂 key=value cs1=forged";

    @Test
    void aPlainAlertReadsAsDocumented() {
        String cef = Cef.line(TestAlerts.alert("kvm-01", 7));

        assertThat(cef).startsWith("CEF:0|hvwatch|hvwatch|dev|vcpu-starvation|vCPU starved|8|rt=1735787052123 "
                + "dvchost=kvm-01 deviceExternalId=kvm-01 externalId=alert-kvm-01-7 cat=starvation cs1Label=state "
                + "cs1=firing cn1Label=seq cn1=7 cs2Label=vm cs2=guest-1 cs3Label=vmUuid "
                + "cs3=5f0c8a4e-0000-4000-8000-000000000001 cn2Label=vmPid cn2=4242 cn3Label=vcpu cn3=0 "
                + "cs5Label=nist cs5=HY-SR-5 cs6Label=evidence cs6={\"threshold\":0.2,\"waitRatio\":0.42} flexString1Label=runbook "
                + "flexString1=file:///usr/share/doc/hvwatch-agent/runbooks/vcpu-starvation.md msg=vCPU 0");
    }

    @Test
    void hostileStringsSurviveEscapingAndParseBackToThemselves() throws Exception {
        Alert alert = new Alert("id" + HOSTILE, "kvm-01", 3, "2025-01-02T03:04:05.000000000Z", "host" + HOSTILE,
                "rule" + HOSTILE, "title" + HOSTILE, Severity.CRITICAL, Category.ISOLATION, AlertState.RESOLVED,
                new VmRef("vm" + HOSTILE, "uuid", 1L), null, "dev" + HOSTILE, List.of("HY-SR-6C"),
                Map.of("note", HOSTILE), "message" + HOSTILE,
                "https://wiki.example.net/runbooks/rule" + HOSTILE + ".md");
        byte[] bytes = new Cef().format(null, alert);
        String cef = new String(bytes, StandardCharsets.UTF_8);

        assertThat(cef).doesNotContain("\n").doesNotContain("\r");
        assertThat(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString())
                .contains("café 東京 🙂");

        List<String> header = header(cef);
        assertThat(header).hasSize(8);
        assertThat(header.subList(0, 7)).containsExactly("CEF:0", "hvwatch", "hvwatch", "dev",
                "rule" + HOSTILE.replace('\n', ' ').replace('\r', ' '),
                "title" + HOSTILE.replace('\n', ' ').replace('\r', ' '), "10");

        Map<String, String> ext = extension(header.get(7));
        assertThat(ext).containsEntry("msg", "message" + HOSTILE)
                .containsEntry("dvchost", "host" + HOSTILE)
                .containsEntry("externalId", "id" + HOSTILE)
                .containsEntry("cs2", "vm" + HOSTILE)
                .containsEntry("cs4", "dev" + HOSTILE)
                .containsEntry("cs1", "resolved")
                .containsEntry("cs1Label", "state")
                .containsEntry("cn1", "3")
                .containsEntry("flexString1", "https://wiki.example.net/runbooks/rule" + HOSTILE + ".md");
        assertThat(ext.get("cs6")).isEqualTo("{\"note\":" + jsonString(HOSTILE) + "}");
        assertThat(ext).doesNotContainKey("key");
    }

    @Test
    void escapesExactlyWhatTheSpecificationNames() {
        assertThat(Cef.header("a|b\\c=d")).isEqualTo("a\\|b\\\\c=d");
        assertThat(Cef.extensionValue("a|b\\c=d\ne\rf")).isEqualTo("a|b\\\\c\\=d\\ne\\rf");
    }

    /** The header's eight fields, split at pipes that are not escaped, unescaped; the last is the extension. */
    static List<String> header(String cef) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        for (; i < cef.length() && fields.size() < 7; i++) {
            char c = cef.charAt(i);
            if (c == '\\' && i + 1 < cef.length()) {
                field.append(cef.charAt(++i));
            } else if (c == '|') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(cef.substring(i));
        return fields;
    }

    /** key=value pairs: a key is a word before an unescaped '='; a value runs up to the space before the next key. */
    static Map<String, String> extension(String ext) {
        Matcher keys = Pattern.compile("(?:^| )([A-Za-z0-9_]+)=").matcher(ext);
        List<int[]> found = new ArrayList<>();
        // An escaped '=' has a backslash before it, so it never follows a key's word characters.
        while (keys.find()) {
            found.add(new int[] {keys.start(1), keys.end(1), keys.end()});
        }
        Map<String, String> pairs = new LinkedHashMap<>();
        for (int k = 0; k < found.size(); k++) {
            int valueEnd = k + 1 < found.size() ? found.get(k + 1)[0] - 1 : ext.length();
            pairs.put(ext.substring(found.get(k)[0], found.get(k)[1]),
                    unescape(ext.substring(found.get(k)[2], valueEnd)));
        }
        return pairs;
    }

    private static String unescape(String value) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                char next = value.charAt(++i);
                out.append(next == 'n' ? '\n' : next == 'r' ? '\r' : next);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String jsonString(String text) {
        return dev.hvwatch.protocol.AlertJson.mapper().valueToTree(text).toString();
    }
}
