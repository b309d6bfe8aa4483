package dev.hvwatch.collector.output.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.VmRef;
import java.time.Instant;
import java.util.Map;

/**
 * The alert as an OCSF 1.8.0 Detection Finding (class 2004, category 2 Findings), the newest release, and the first
 * one since 1.4.0 in which everything written here exists. A firing alert creates the finding (activity Create,
 * status New, is_alert true); its resolution closes it (activity Close, status Resolved, is_alert false). Both carry
 * the same {@code finding_info.uid}, built from the host, the rule and the subject (VM, vCPU, device), so that a SOC
 * tool pairs them; {@code metadata.uid} is the alert's own id.
 *
 * <p>The VM (role Affected) and the host (role Related) are the {@code resources}; the VM's owning user is its
 * {@code owner}, its other tenant fields its {@code labels} ({@code instance_name=…}, {@code project=…},
 * {@code project_id=…}, {@code flavor=…}, {@code manager=…}). A VM of a cloud tenant also fills the event's
 * {@code cloud} (provider OpenStack, the project as {@code account}) and so names the {@code cloud} profile in
 * {@code metadata.profiles}. The {@code evidences} are the rule's figures ({@code data}), then one per antagonist VM
 * (a resource of role Actor, with its share of the wait and CPUs as {@code data}) and one for the host's own
 * processes. The runbook's URL is the {@code remediation}'s {@code references}. What OCSF has no place for (agent, seq, NIST references, vCPU, device, QEMU pid) is under
 * {@code unmapped}. Hazardous characters in values are escaped as {@code \}{@code uXXXX} ({@link SafeText}).
 */
public final class OcsfDetectionFinding implements AlertFormat {
    static final String SCHEMA_VERSION = "1.8.0";
    static final int CATEGORY_FINDINGS = 2;
    static final int CLASS_DETECTION_FINDING = 2004;
    static final int ACTIVITY_CREATE = 1;
    static final int ACTIVITY_CLOSE = 3;
    static final int STATUS_NEW = 1;
    static final int STATUS_RESOLVED = 4;
    static final int ANALYTIC_RULE = 1;
    static final int ROLE_ACTOR = 2;
    static final int ROLE_AFFECTED = 3;
    static final int ROLE_RELATED = 4;
    static final int ACCOUNT_OTHER = 99;
    static final String CLOUD_PROFILE = "cloud";

    private static final ObjectMapper JSON = AlertJson.mapper();
    private static final ObjectWriter WRITER = JSON.writer().with(SafeText.jsonEscapes());

    @Override
    public byte[] format(JournalEntry entry, Alert alert) {
        try {
            return WRITER.writeValueAsBytes(finding(alert));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("alert " + alert.id() + " cannot be written as OCSF", e);
        }
    }

    ObjectNode finding(Alert alert) {
        boolean firing = alert.state() == AlertState.FIRING;
        int activity = firing ? ACTIVITY_CREATE : ACTIVITY_CLOSE;
        ObjectNode finding = JSON.createObjectNode();
        finding.put("activity_id", activity);
        finding.put("activity_name", firing ? "Create" : "Close");
        finding.put("category_uid", CATEGORY_FINDINGS);
        finding.put("category_name", "Findings");
        finding.put("class_uid", CLASS_DETECTION_FINDING);
        finding.put("class_name", "Detection Finding");
        finding.put("type_uid", CLASS_DETECTION_FINDING * 100 + activity);
        finding.put("type_name", "Detection Finding: " + (firing ? "Create" : "Close"));
        finding.put("time", AlertTime.parse(alert.time()).toEpochMilli());
        finding.put("severity_id", Severities.ocsf(alert.severity()));
        finding.put("severity", Severities.ocsfCaption(alert.severity()));
        finding.put("status_id", firing ? STATUS_NEW : STATUS_RESOLVED);
        finding.put("status", firing ? "New" : "Resolved");
        finding.put("is_alert", firing);
        if (alert.message() != null) {
            finding.put("message", alert.message());
        }
        boolean cloud = alert.vm() != null && Tenancy.inCloud(alert.vm());
        metadata(finding.putObject("metadata"), alert, cloud);
        if (cloud) {
            cloud(finding.putObject("cloud"), alert.vm());
        }
        findingInfo(finding.putObject("finding_info"), alert);
        resources(finding.putArray("resources"), alert);
        evidences(finding, alert);
        if (alert.runbookUrl() != null) {
            ObjectNode remediation = finding.putObject("remediation");
            remediation.put("desc", "The runbook of rule " + alert.rule() + ": diagnosis and mitigation");
            remediation.putArray("references").add(alert.runbookUrl());
        }
        unmapped(finding.putObject("unmapped"), alert);
        return finding;
    }

    private static void metadata(ObjectNode metadata, Alert alert, boolean cloud) {
        metadata.put("version", SCHEMA_VERSION);
        metadata.put("uid", alert.id());
        ObjectNode product = metadata.putObject("product");
        product.put("name", Product.NAME);
        product.put("vendor_name", Product.VENDOR);
        product.put("version", Product.VERSION);
        if (cloud) {
            metadata.putArray("profiles").add(CLOUD_PROFILE);
        }
    }

    /** The tenant's cloud: OpenStack's project is what OCSF calls the cloud account (GCP's project likewise). */
    private static void cloud(ObjectNode cloud, VmRef vm) {
        cloud.put("provider", Tenancy.PROVIDER);
        ObjectNode account = cloud.putObject("account");
        putIfPresent(account, "name", vm.project());
        putIfPresent(account, "uid", vm.projectId());
        account.put("type_id", ACCOUNT_OTHER);
        account.put("type", "OpenStack Project");
    }

    private static void findingInfo(ObjectNode info, Alert alert) {
        info.put("uid", findingUid(alert));
        info.put("title", alert.title() != null ? alert.title() : alert.rule());
        Instant heldSince = HeldSince.of(alert);
        if (heldSince != null) {
            info.put("first_seen_time", heldSince.toEpochMilli());
        }
        if (alert.message() != null) {
            info.put("desc", alert.message());
        }
        info.putArray("types").add(alert.category().wireName());
        ObjectNode analytic = info.putObject("analytic");
        analytic.put("uid", alert.rule());
        analytic.put("name", alert.rule());
        analytic.put("type_id", ANALYTIC_RULE);
        analytic.put("type", "Rule");
        analytic.put("category", alert.category().wireName());
    }

    private static void resources(ArrayNode resources, Alert alert) {
        if (alert.vm() != null) {
            vm(resources.addObject(), alert.vm(), ROLE_AFFECTED, "Affected");
        }
        host(resources.addObject(), alert, ROLE_RELATED, "Related");
    }

    private static void vm(ObjectNode resource, VmRef vm, int roleId, String role) {
        resource.put("type", "Virtual Machine");
        putIfPresent(resource, "name", vm.name());
        putIfPresent(resource, "uid", vm.uuid());
        resource.put("role_id", roleId);
        resource.put("role", role);
        if (vm.user() != null) {
            resource.putObject("owner").put("name", vm.user());
        }
        ArrayNode labels = null;
        for (Map.Entry<String, String> field : Tenancy.of(vm).entrySet()) {
            if (!field.getKey().equals("user")) {
                labels = labels != null ? labels : resource.putArray("labels");
                labels.add(field.getKey() + "=" + field.getValue());
            }
        }
    }

    private static void host(ObjectNode resource, Alert alert, int roleId, String role) {
        resource.put("type", "Host");
        resource.put("name", alert.host());
        resource.put("uid", alert.agent());
        resource.put("role_id", roleId);
        resource.put("role", role);
    }

    /** The rule's figures, then who took the CPU: each antagonist VM, and the host's own processes. */
    private static void evidences(ObjectNode finding, Alert alert) {
        Interference interference = Interference.of(alert.evidence());
        Map<String, Object> figures = Interference.figures(alert.evidence(), interference);
        if (figures.isEmpty() && interference == null) {
            return;
        }
        ArrayNode evidences = finding.putArray("evidences");
        if (!figures.isEmpty()) {
            evidences.addObject().set("data", JSON.valueToTree(figures));
        }
        if (interference == null) {
            return;
        }
        for (Interference.Antagonist antagonist : interference.antagonists()) {
            ObjectNode evidence = evidences.addObject();
            evidence.put("name", "antagonist");
            vm(evidence.putArray("resources").addObject(), antagonist.vm(), ROLE_ACTOR, "Actor");
            ObjectNode data = evidence.putObject("data");
            data.put("share_of_wait", antagonist.shareOfWait());
            putIfPresent(data, "cpus", antagonist.cpus());
        }
        if (interference.otherHostShare() != null || !interference.otherHostProcesses().isEmpty()) {
            ObjectNode evidence = evidences.addObject();
            evidence.put("name", "host processes");
            host(evidence.putArray("resources").addObject(), alert, ROLE_ACTOR, "Actor");
            ObjectNode data = evidence.putObject("data");
            if (interference.otherHostShare() != null) {
                data.put("share_of_wait", interference.otherHostShare());
            }
            if (!interference.otherHostProcesses().isEmpty()) {
                data.set("processes", JSON.valueToTree(interference.otherHostProcesses()));
            }
        }
    }

    /** Leaves out absent and empty values: OCSF has no use for an empty name or identifier. */
    private static void putIfPresent(ObjectNode node, String field, String value) {
        if (value != null && !value.isEmpty()) {
            node.put(field, value);
        }
    }

    private static void unmapped(ObjectNode unmapped, Alert alert) {
        unmapped.put("agent", alert.agent());
        unmapped.put("seq", alert.seq());
        unmapped.set("nist", JSON.valueToTree(alert.nist()));
        if (alert.vcpu() != null) {
            unmapped.put("vcpu", alert.vcpu());
        }
        if (alert.device() != null) {
            unmapped.put("device", alert.device());
        }
        if (alert.vm() != null) {
            unmapped.put("vm_pid", alert.vm().pid());
        }
    }

    /** The same for an alert's firing and its resolution: what the rule judged, on which host, about what. */
    static String findingUid(Alert alert) {
        StringBuilder uid = new StringBuilder(alert.agent()).append('/').append(alert.rule());
        if (alert.vm() != null) {
            uid.append("/vm=").append(alert.vm().uuid() != null ? alert.vm().uuid() : alert.vm().name());
        }
        if (alert.vcpu() != null) {
            uid.append("/vcpu=").append(alert.vcpu());
        }
        if (alert.device() != null) {
            uid.append("/device=").append(alert.device());
        }
        return uid.toString();
    }
}
