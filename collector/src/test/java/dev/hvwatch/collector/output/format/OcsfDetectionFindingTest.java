package dev.hvwatch.collector.output.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hvwatch.collector.testing.TestAlerts;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.VmRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Findings against the OCSF release {@code metadata.version} claims, as transcribed from the official schema in
 * {@code ocsf-1.8.0.txt}: every attribute known to its object, of its type, within its enum and profile, not
 * deprecated; the required ones present. The transcription names its release; a claim of another fails here.
 */
class OcsfDetectionFindingTest {
    private static final OcsfSchema SCHEMA = OcsfSchema.load("ocsf-1.8.0.txt");
    private static final Map<Integer, String> SEVERITY_CAPTIONS = Map.of(0, "Unknown", 1, "Informational", 2, "Low",
            3, "Medium", 4, "High", 5, "Critical", 6, "Fatal");

    @Test
    void theClaimedReleaseIsTheTranscribedOne() throws IOException {
        assertThat(SCHEMA.version()).isEqualTo("1.8.0");
        assertThat(OcsfDetectionFinding.SCHEMA_VERSION).isEqualTo(SCHEMA.version());
        assertThat(finding(TestAlerts.alert("kvm-01", 1)).at("/metadata/version").asText()).isEqualTo(SCHEMA.version());
    }

    @Test
    void everyAlertIsAValidDetectionFindingOfThatRelease() throws IOException {
        List<Alert> kinds = List.of(TestAlerts.alert("kvm-01", 9), withoutVm(TestAlerts.alert("kvm-01", 9)),
                TestAlerts.noisyNeighbour("kvm-01", 9), withVm(TestAlerts.alert("kvm-01", 9),
                        new VmRef("guest-2", "", 1L, null, null, "8c4f3e2a", null, null, "libvirt")));
        for (Severity severity : Severity.values()) {
            for (AlertState state : AlertState.values()) {
                for (Alert kind : kinds) {
                    Alert alert = with(kind, severity, state);
                    JsonNode f = finding(alert);
                    assertThat(SCHEMA.problems(f)).as("%s as OCSF:%n%s", alert, f).isEmpty();
                    assertThat(f.get("type_uid").asInt()).isEqualTo(2004 * 100 + f.get("activity_id").asInt());
                    assertThat(f.get("severity").asText())
                            .isEqualTo(SEVERITY_CAPTIONS.get(f.get("severity_id").asInt()));
                    assertThat(f.get("resources")).hasSize(alert.vm() == null ? 1 : 2);
                }
            }
        }
    }

    @Test
    void theCheckFindsWhatTheReleaseDoesNotDefine() throws IOException {
        JsonNode f = finding(TestAlerts.noisyNeighbour("kvm-01", 1));
        ((ObjectNode) f).put("is_alerted", true);
        ((ObjectNode) f.get("cloud")).put("project_uid", "p");
        ((ObjectNode) f.at("/finding_info/analytic")).put("type_id", 12);
        ((ObjectNode) f.get("metadata")).remove("profiles");
        ((ObjectNode) f.at("/resources/0/owner")).put("uid", 7);
        ((ObjectNode) f.get("unmapped")).put("anything", "goes");

        assertThat(SCHEMA.problems(f)).containsExactlyInAnyOrder(
                "/is_alerted: detection_finding has no attribute is_alerted in OCSF 1.8.0",
                "/cloud: belongs to profile cloud, which metadata.profiles lacks",
                "/cloud/project_uid: deprecated in OCSF 1.8.0",
                "/finding_info/analytic/type_id: 12 is not among [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99]",
                "/resources/0/owner/uid: string_t expected, got 7");
    }

    @Test
    void firingCreatesTheFindingAndResolvingClosesTheSameOne() throws IOException {
        Alert firing = TestAlerts.alert("kvm-01", 1);
        Alert resolved = with(TestAlerts.alert("kvm-01", 2), firing.severity(), AlertState.RESOLVED);
        JsonNode create = finding(firing);
        JsonNode close = finding(resolved);

        assertThat(create.get("activity_id").asInt()).isEqualTo(1);
        assertThat(create.get("type_uid").asInt()).isEqualTo(200401);
        assertThat(create.get("status_id").asInt()).isEqualTo(1);
        assertThat(create.get("is_alert").asBoolean()).isTrue();
        assertThat(close.get("activity_id").asInt()).isEqualTo(3);
        assertThat(close.get("type_uid").asInt()).isEqualTo(200403);
        assertThat(close.get("status_id").asInt()).isEqualTo(4);
        assertThat(close.get("status").asText()).isEqualTo("Resolved");
        assertThat(close.get("is_alert").asBoolean()).isFalse();
        assertThat(close.at("/finding_info/uid")).isEqualTo(create.at("/finding_info/uid"));
        assertThat(close.at("/metadata/uid")).isNotEqualTo(create.at("/metadata/uid"));
    }

    @Test
    void carriesTheVmAndTheHostAsResourcesAndTheFiguresAsEvidence() throws IOException {
        JsonNode finding = finding(TestAlerts.alert("kvm-01", 4));

        assertThat(finding.get("time").asLong()).isEqualTo(1735787049123L);
        assertThat(finding.get("severity_id").asInt()).isEqualTo(4);
        assertThat(finding.get("message").asText()).isEqualTo("vCPU 0 of guest-1 waited 42% of the last minute");
        assertThat(finding.at("/resources/0/type").asText()).isEqualTo("Virtual Machine");
        assertThat(finding.at("/resources/0/name").asText()).isEqualTo("guest-1");
        assertThat(finding.at("/resources/0/uid").asText()).isEqualTo("5f0c8a4e-0000-4000-8000-000000000001");
        assertThat(finding.at("/resources/0/role").asText()).isEqualTo("Affected");
        assertThat(finding.at("/resources/1/type").asText()).isEqualTo("Host");
        assertThat(finding.at("/resources/1/name").asText()).isEqualTo("kvm-01");
        assertThat(finding.at("/evidences/0/data/waitRatio").asDouble()).isEqualTo(0.42);
        assertThat(finding.get("evidences")).hasSize(1);
        assertThat(finding.has("cloud")).isFalse();
        assertThat(finding.at("/metadata/profiles").isMissingNode()).isTrue();
        assertThat(finding.at("/finding_info/analytic/name").asText()).isEqualTo("vcpu-starvation");
        assertThat(finding.at("/finding_info/title").asText()).isEqualTo("vCPU starved");
        assertThat(finding.at("/unmapped/agent").asText()).isEqualTo("kvm-01");
        assertThat(finding.at("/unmapped/seq").asLong()).isEqualTo(4);
        assertThat(finding.at("/unmapped/nist/0").asText()).isEqualTo("HY-SR-5");
        assertThat(finding.at("/unmapped/vm_pid").asLong()).isEqualTo(4242);
        assertThat(finding.at("/remediation/references/0").asText())
                .isEqualTo("file:///usr/share/doc/hvwatch-agent/runbooks/vcpu-starvation.md");
        assertThat(finding.at("/remediation/desc").isTextual()).as("remediation.desc, which OCSF requires").isTrue();
    }

    @Test
    void theTenantIsTheCloudAccountAndTheVmsOwnerAndLabels() throws IOException {
        JsonNode finding = finding(TestAlerts.noisyNeighbour("kvm-01", 4));

        assertThat(finding.at("/metadata/profiles").toString()).isEqualTo("[\"cloud\"]");
        assertThat(finding.at("/cloud/provider").asText()).isEqualTo("OpenStack");
        assertThat(finding.at("/cloud/account/name").asText()).isEqualTo("payments");
        assertThat(finding.at("/cloud/account/uid").asText()).isEqualTo("8c4f3e2a9b7d4c1e8f6a5b3c2d1e0f9a");
        assertThat(finding.at("/resources/0/name").asText()).isEqualTo("instance-0000a1f3");
        assertThat(finding.at("/resources/0/owner/name").asText()).isEqualTo("alice");
        assertThat(finding.at("/resources/0/labels").toString()).isEqualTo("[\"instance_name=db-primary\","
                + "\"project=payments\",\"project_id=8c4f3e2a9b7d4c1e8f6a5b3c2d1e0f9a\",\"flavor=m1.large\","
                + "\"manager=libvirt\"]");
    }

    @Test
    void whoTookTheCpuIsEvidenceOfRoleActor() throws IOException {
        JsonNode evidences = finding(TestAlerts.noisyNeighbour("kvm-01", 4)).get("evidences");

        assertThat(evidences).hasSize(4);
        assertThat(evidences.at("/0/data").toString()).isEqualTo("{\"threshold\":0.2,\"waitRatio\":0.97}");
        assertThat(evidences.at("/1/name").asText()).isEqualTo("antagonist");
        assertThat(evidences.at("/1/resources/0/name").asText()).isEqualTo("instance-0000b200");
        assertThat(evidences.at("/1/resources/0/role_id").asInt()).isEqualTo(2);
        assertThat(evidences.at("/1/resources/0/owner/name").asText()).isEqualTo("bob");
        assertThat(evidences.at("/1/resources/0/labels/0").asText()).isEqualTo("instance_name=web-frontend");
        assertThat(evidences.at("/1/data").toString()).isEqualTo("{\"share_of_wait\":0.82,\"cpus\":\"0-1\"}");
        assertThat(evidences.at("/2/resources/0/name").asText()).isEqualTo("batch-7");
        assertThat(evidences.at("/2/resources/0/labels").toString()).isEqualTo("[\"manager=qemu\"]");
        assertThat(evidences.at("/3/name").asText()).isEqualTo("host processes");
        assertThat(evidences.at("/3/resources/0/type").asText()).isEqualTo("Host");
        assertThat(evidences.at("/3/data").toString())
                .isEqualTo("{\"share_of_wait\":0.11,\"processes\":[\"stress-ng\",\"kworker/0:1\"]}");
    }

    @Test
    void evidenceOfAnotherShapeStaysWithTheFigures() throws IOException {
        Alert odd = withEvidence(TestAlerts.alert("kvm-01", 1), Map.of("antagonists", "web-frontend", "waitRatio", 1));
        JsonNode finding = finding(odd);

        assertThat(finding.get("evidences")).hasSize(1);
        assertThat(finding.at("/evidences/0/data/antagonists").asText()).isEqualTo("web-frontend");
        assertThat(SCHEMA.problems(finding)).isEmpty();
    }

    @Test
    void hazardousCharactersAreEscapedNotWritten() throws IOException {
        String nasty = "a\u0000b\u001b[31mc\r\nd\u0085e\u009bf\u202eg\u2028h\u007fi";
        Alert alert = withVm(TestAlerts.alert("kvm-01", 1), new VmRef(nasty, "u", 1L));
        byte[] bytes = new OcsfDetectionFinding().format(null, alert);
        String text = new String(bytes, StandardCharsets.UTF_8);

        assertThat(text.chars().filter(SafeText::isHazard)).isEmpty();
        assertThat(text).contains("a\\u0000b\\u001B[31mc\\r\\nd\\u0085e\\u009Bf\\u202Eg\\u2028h\\u007Fi");
        assertThat(AlertJson.mapper().readTree(bytes).at("/resources/0/name").asText()).isEqualTo(nasty);
    }

    @Test
    void whenTheConditionBeganToHoldIsTheFindingsFirstSeenTime() throws IOException {
        Alert firing = TestAlerts.alert("kvm-01", 4);
        Map<String, Object> evidence = new java.util.LinkedHashMap<>(firing.evidence());
        evidence.put("held_since", "2025-01-02T03:03:59.123456789Z");

        JsonNode finding = finding(withEvidence(firing, evidence));

        assertThat(finding.at("/finding_info/first_seen_time").asLong()).isEqualTo(1735787039123L);
        assertThat(SCHEMA.problems(finding)).isEmpty();
        evidence.put("held_since", "yesterday");
        assertThat(finding(withEvidence(firing, evidence)).at("/finding_info/first_seen_time").isMissingNode())
                .as("not a time: left out").isTrue();
        assertThat(finding(firing).at("/finding_info/first_seen_time").isMissingNode()).isTrue();
    }

    private static JsonNode finding(Alert alert) throws IOException {
        return AlertJson.mapper().readTree(new OcsfDetectionFinding().format(null, alert));
    }

    private static Alert with(Alert a, Severity severity, AlertState state) {
        return new Alert(a.id(), a.agent(), a.seq(), a.time(), a.host(), a.rule(), a.title(), severity, a.category(),
                state, a.vm(), a.vcpu(), a.device(), a.nist(), a.evidence(), a.message(),
                a.runbookUrl());
    }

    private static Alert withVm(Alert a, VmRef vm) {
        return new Alert(a.id(), a.agent(), a.seq(), a.time(), a.host(), a.rule(), a.title(), a.severity(),
                a.category(), a.state(), vm, a.vcpu(), a.device(), a.nist(), a.evidence(), a.message(), null);
    }

    private static Alert withEvidence(Alert a, Map<String, Object> evidence) {
        return new Alert(a.id(), a.agent(), a.seq(), a.time(), a.host(), a.rule(), a.title(), a.severity(),
                a.category(), a.state(), a.vm(), a.vcpu(), a.device(), a.nist(), evidence, a.message(), null);
    }

    private static Alert withoutVm(Alert a) {
        return new Alert(a.id(), a.agent(), a.seq(), a.time(), a.host(), "posture-iommu", null, a.severity(),
                Category.POSTURE, a.state(), null, null, "0000:01:00.0", a.nist(), Map.of(), null,
                null);
    }
}
