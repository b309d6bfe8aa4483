package dev.hvwatch.collector.output.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.collector.testing.TestAlerts;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Checks findings against OCSF 1.3's Detection Finding (class 2004): the attributes the schema requires of the event
 * and of its objects, and the values its enumerations allow (schema files events/base_event.json,
 * events/findings/finding.json, detection_finding.json and the objects metadata, product, finding_info, analytic).
 */
class OcsfDetectionFindingTest {
    private static final List<String> EVENT_REQUIRED = List.of("activity_id", "category_uid", "class_uid", "metadata",
            "severity_id", "time", "type_uid", "finding_info");
    private static final Set<Integer> ACTIVITY_IDS = Set.of(0, 1, 2, 3, 99);
    private static final Set<Integer> SEVERITY_IDS = Set.of(0, 1, 2, 3, 4, 5, 6, 99);
    private static final Set<Integer> STATUS_IDS = Set.of(0, 1, 2, 3, 4, 5, 6, 99);
    private static final Set<Integer> ANALYTIC_TYPE_IDS = Set.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99);
    private static final Map<Integer, String> SEVERITY_CAPTIONS = Map.of(0, "Unknown", 1, "Informational", 2, "Low",
            3, "Medium", 4, "High", 5, "Critical", 6, "Fatal");

    @Test
    void everyAlertIsAValidDetectionFinding() throws IOException {
        for (Severity severity : Severity.values()) {
            for (AlertState state : AlertState.values()) {
                for (Alert alert : List.of(TestAlerts.alert("kvm-01", 9), withoutVm(TestAlerts.alert("kvm-01", 9)))) {
                    assertValid(finding(with(alert, severity, state)), with(alert, severity, state));
                }
            }
        }
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
        assertThat(finding.at("/resources/1/type").asText()).isEqualTo("Host");
        assertThat(finding.at("/resources/1/name").asText()).isEqualTo("kvm-01");
        assertThat(finding.at("/evidences/0/data/waitRatio").asDouble()).isEqualTo(0.42);
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

    private static void assertValid(JsonNode f, Alert alert) {
        String what = alert.severity() + " " + alert.state() + (alert.vm() == null ? " without VM" : "");
        for (String attribute : EVENT_REQUIRED) {
            assertThat(f.has(attribute)).as(what + ": required " + attribute).isTrue();
        }
        assertThat(f.get("class_uid").asInt()).isEqualTo(2004);
        assertThat(f.get("category_uid").asInt()).isEqualTo(2);
        assertThat(ACTIVITY_IDS).contains(f.get("activity_id").asInt());
        assertThat(f.get("type_uid").asInt()).isEqualTo(2004 * 100 + f.get("activity_id").asInt());
        assertThat(SEVERITY_IDS).contains(f.get("severity_id").asInt());
        assertThat(f.get("severity").asText()).isEqualTo(SEVERITY_CAPTIONS.get(f.get("severity_id").asInt()));
        assertThat(STATUS_IDS).contains(f.get("status_id").asInt());
        assertThat(f.get("time").isIntegralNumber()).as(what + ": time in epoch ms").isTrue();
        assertThat(f.at("/metadata/version").asText()).isEqualTo("1.3.0");
        assertThat(f.at("/metadata/product/vendor_name").isTextual()).as(what + ": product.vendor_name").isTrue();
        assertThat(f.at("/metadata/product/name").isTextual()).isTrue();
        assertThat(f.at("/finding_info/uid").isTextual()).as(what + ": finding_info.uid").isTrue();
        assertThat(f.at("/finding_info/title").isTextual()).as(what + ": finding_info.title").isTrue();
        assertThat(ANALYTIC_TYPE_IDS).contains(f.at("/finding_info/analytic/type_id").asInt());
        assertThat(f.at("/finding_info/analytic/type_id").isIntegralNumber()).as(what + ": analytic.type_id").isTrue();
        for (JsonNode resource : f.get("resources")) {
            assertThat(resource.has("uid") || resource.has("name")).as(what + ": resource uid or name").isTrue();
        }
        assertThat(f.get("resources")).hasSize(alert.vm() == null ? 1 : 2);
    }

    private static JsonNode finding(Alert alert) throws IOException {
        return AlertJson.mapper().readTree(new OcsfDetectionFinding().format(null, alert));
    }

    private static Alert with(Alert a, Severity severity, AlertState state) {
        return new Alert(a.id(), a.agent(), a.seq(), a.time(), a.host(), a.rule(), a.title(), severity, a.category(),
                state, a.vm(), a.vcpu(), a.device(), a.nist(), a.evidence(), a.message(),
                a.runbookUrl());
    }

    private static Alert withoutVm(Alert a) {
        return new Alert(a.id(), a.agent(), a.seq(), a.time(), a.host(), "posture-iommu", null, a.severity(),
                Category.POSTURE, a.state(), null, null, "0000:01:00.0", a.nist(), Map.of(), null,
                null);
    }
}
