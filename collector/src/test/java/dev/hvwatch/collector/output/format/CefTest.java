package dev.hvwatch.collector.output.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.collector.testing.TestAlerts;
import dev.hvwatch.protocol.AlertJson;
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
                + "cs5Label=nist cs5=HY-SR-5 cs6Label=evidence cs6={\"threshold\":0.2,\"waitRatio\":0.42} msg=vCPU 0");
    }

    @Test
    void whenTheConditionBeganToHoldIsTheEventsStart() {
        Alert a = TestAlerts.alert("kvm-01", 7);
        Map<String, Object> evidence = new LinkedHashMap<>(a.evidence());
        evidence.put("held_since", "2025-01-02T03:04:02.123456789Z");
        Alert held = new Alert(a.id(), a.agent(), a.seq(), a.time(), a.host(), a.rule(), a.title(), a.severity(),
                a.category(), a.state(), a.vm(), a.vcpu(), a.device(), a.nist(), evidence, a.message(), null);

        assertThat(Cef.line(held)).contains("|rt=1735787052123 start=1735787042123 dvchost=kvm-01 ");
        evidence.put("held_since", "yesterday");
        assertThat(Cef.line(held)).as("not a time: left out").doesNotContain("start=");
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
                .containsEntry("externalId", SafeText.cut("id" + HOSTILE, Cef.MAX_EXTERNAL_ID))
                .containsEntry("cs2", "vm" + HOSTILE)
                .containsEntry("cs4", "dev" + HOSTILE)
                .containsEntry("cs1", "resolved")
                .containsEntry("cs1Label", "state")
                .containsEntry("cn1", "3");
        assertThat(ext.get("cs6")).isEqualTo("{\"note\":" + jsonString(HOSTILE) + "}");
        assertThat(ext).doesNotContainKey("key");
    }

    @Test
    void escapesExactlyWhatTheSpecificationNames() {
        assertThat(Cef.header("a|b\\c=d")).isEqualTo("a\\|b\\\\c=d");
        assertThat(Cef.extensionValue("a|b\\c=d\ne\rf")).isEqualTo("a|b\\\\c\\=d\\ne\\rf");
    }

    @Test
    void otherControlAndBidiCharactersBecomeVisibleText() {
        String nasty = "a\u0000b\u001b[2Jc\td\u0085e\u009bf\u202eg\u2066h\u007f";
        String header = Cef.header(nasty);
        String value = Cef.extensionValue(nasty);

        assertThat(header).isEqualTo("a\\\\u0000b\\\\u001B[2Jc d\\\\u0085e\\\\u009Bf\\\\u202Eg\\\\u2066h\\\\u007F");
        assertThat(value).isEqualTo(header);
        assertThat((header + value).chars().filter(SafeText::isHazard)).isEmpty();
        Alert alert = new Alert("id", "kvm-01", 3, "2025-01-02T03:04:05.000000000Z", "host", "rule" + nasty,
                "title" + nasty, Severity.LOW, Category.ISOLATION, AlertState.FIRING, new VmRef("vm" + nasty, "u", 1L),
                null, null, List.of(), Map.of("note", nasty), "message" + nasty, null);
        assertThat(Cef.line(alert).chars().filter(SafeText::isHazard)).isEmpty();
        assertThat(extension(header(Cef.line(alert)).get(7))).containsEntry("cs2", "vm" + value.replace("\\\\", "\\"));
    }

    @Test
    void theTenantAndWhoTookTheCpuHaveFieldsOfTheirOwn() throws Exception {
        Map<String, String> ext = extension(header(Cef.line(TestAlerts.noisyNeighbour("kvm-01", 5))).get(7));

        assertThat(ext).containsEntry("cs6Label", "evidence").containsEntry("cs6", "{\"threshold\":0.2,\"waitRatio\":0.97}")
                .containsEntry("duser", "alice")
                .containsEntry("flexString1Label", "tenant")
                .containsEntry("flexString1", "{\"flavor\":\"m1.large\",\"instance_name\":\"db-primary\","
                        + "\"manager\":\"libvirt\",\"project\":\"payments\","
                        + "\"project_id\":\"8c4f3e2a9b7d4c1e8f6a5b3c2d1e0f9a\",\"user\":\"alice\"}")
                .containsEntry("flexString2Label", "antagonists");
        JsonNode antagonists = AlertJson.mapper().readTree(ext.get("flexString2"));
        assertThat(antagonists.at("/antagonists/0/vm").asText()).isEqualTo("instance-0000b200");
        assertThat(antagonists.at("/antagonists/0/project").asText()).isEqualTo("shop");
        assertThat(antagonists.at("/antagonists/0/share_of_wait").asDouble()).isEqualTo(0.82);
        assertThat(antagonists.at("/antagonists/0/cpus").asText()).isEqualTo("0-1");
        assertThat(antagonists.at("/antagonists/1/vm").asText()).isEqualTo("batch-7");
        assertThat(antagonists.at("/other_host_share").asDouble()).isEqualTo(0.11);
        assertThat(antagonists.at("/other_host_processes").toString()).isEqualTo("[\"stress-ng\",\"kworker/0:1\"]");
        assertThat(antagonists.has("truncated")).isFalse();
    }

    @Test
    void fieldsAreHeldToTheDictionarysLengthsTheSameWayEachTime() throws Exception {
        String longName = "n".repeat(3000) + "\u001b".repeat(3000);
        Alert noisy = TestAlerts.noisyNeighbour("kvm-01", 5);
        List<Map<String, Object>> many = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            VmRef vm = new VmRef(longName + i, "5f0c8a4e-0000-4000-8000-00000000000" + i, i, longName, longName,
                    null, longName, null, null);
            many.add(Map.of("vm", AlertJson.mapper().convertValue(vm, Map.class), "share_of_wait", 0.1 * i,
                    "cpus", "0"));
        }
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("antagonists", many);
        evidence.put("other_host_processes", List.of(longName, longName));
        evidence.put("huge", longName);
        Alert big = new Alert(longName, "kvm-01", 5, noisy.time(), longName, longName, longName, Severity.HIGH,
                Category.STARVATION, AlertState.FIRING, new VmRef(longName, longName, 1L, longName, longName, longName,
                longName, longName, longName), 0, longName, List.of(longName), evidence, longName, null);

        String cef = Cef.line(big);
        assertThat(Cef.line(big)).isEqualTo(cef);
        List<String> header = header(cef);
        assertThat(header.get(4)).hasSize(Cef.MAX_SIGNATURE_ID).endsWith(SafeText.CUT);
        assertThat(header.get(5)).hasSize(Cef.MAX_NAME);
        Map<String, String> ext = extension(header.get(7));
        assertThat(ext.get("dvchost")).hasSize(Cef.MAX_DVCHOST);
        assertThat(ext.get("externalId")).hasSize(Cef.MAX_EXTERNAL_ID);
        assertThat(ext.get("msg")).hasSize(Cef.MAX_TEXT);
        assertThat(ext.get("duser")).hasSize(Cef.MAX_TEXT);
        for (String key : List.of("cs2", "cs3", "cs4", "cs5", "cs6")) {
            assertThat(ext.get(key).length()).as(key).isLessThanOrEqualTo(Cef.MAX_CUSTOM_STRING);
        }
        for (String key : List.of("flexString1", "flexString2")) {
            assertThat(ext.get(key).length()).as(key).isLessThanOrEqualTo(Cef.MAX_FLEX_STRING);
        }
        assertThat(AlertJson.mapper().readTree(ext.get("cs6")).get("huge").asText()).endsWith(SafeText.CUT);
        assertThat(AlertJson.mapper().readTree(ext.get("flexString1")).get("project").asText()).endsWith(SafeText.CUT);
        JsonNode antagonists = AlertJson.mapper().readTree(ext.get("flexString2"));
        assertThat(antagonists.at("/antagonists/0/vm").asText()).endsWith(SafeText.CUT);
        assertThat(antagonists.get("antagonists").size() == 5 || antagonists.path("truncated").asBoolean())
                .as("every antagonist, or truncated: %s", antagonists).isTrue();
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
