package dev.hvwatch.collector.output.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;

/**
 * The alert as an OCSF 1.3 Detection Finding (class 2004, category 2 Findings). A firing alert creates the finding
 * (activity Create, status New, is_alert true); its resolution closes it (activity Close, status Resolved). Both
 * carry the same {@code finding_info.uid}, built from the host, the rule and the subject (VM, vCPU, device), so that
 * a SOC tool pairs them; {@code metadata.uid} is the alert's own id. The VM and the host are the affected
 * {@code resources}, the rule's figures the {@code evidences}, the runbook's URL the {@code remediation}'s
 * {@code references}; what OCSF has no place for (agent, seq, NIST
 * references, vCPU, device, QEMU pid) is under {@code unmapped}.
 */
public final class OcsfDetectionFinding implements AlertFormat {
    static final String SCHEMA_VERSION = "1.3.0";
    static final int CATEGORY_FINDINGS = 2;
    static final int CLASS_DETECTION_FINDING = 2004;
    static final int ACTIVITY_CREATE = 1;
    static final int ACTIVITY_CLOSE = 3;
    static final int STATUS_NEW = 1;
    static final int STATUS_RESOLVED = 4;
    static final int ANALYTIC_RULE = 1;

    private static final ObjectMapper JSON = AlertJson.mapper();

    @Override
    public byte[] format(JournalEntry entry, Alert alert) {
        try {
            return JSON.writeValueAsBytes(finding(alert));
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
        metadata(finding.putObject("metadata"), alert);
        findingInfo(finding.putObject("finding_info"), alert);
        resources(finding.putArray("resources"), alert);
        if (!alert.evidence().isEmpty()) {
            finding.putArray("evidences").addObject().set("data", JSON.valueToTree(alert.evidence()));
        }
        if (alert.runbookUrl() != null) {
            ObjectNode remediation = finding.putObject("remediation");
            remediation.put("desc", "The runbook of rule " + alert.rule() + ": diagnosis and mitigation");
            remediation.putArray("references").add(alert.runbookUrl());
        }
        unmapped(finding.putObject("unmapped"), alert);
        return finding;
    }

    private static void metadata(ObjectNode metadata, Alert alert) {
        metadata.put("version", SCHEMA_VERSION);
        metadata.put("uid", alert.id());
        ObjectNode product = metadata.putObject("product");
        product.put("name", Product.NAME);
        product.put("vendor_name", Product.VENDOR);
        product.put("version", Product.VERSION);
    }

    private static void findingInfo(ObjectNode info, Alert alert) {
        info.put("uid", findingUid(alert));
        info.put("title", alert.title() != null ? alert.title() : alert.rule());
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
            ObjectNode vm = resources.addObject();
            vm.put("type", "Virtual Machine");
            vm.put("name", alert.vm().name());
            if (alert.vm().uuid() != null) {
                vm.put("uid", alert.vm().uuid());
            }
        }
        ObjectNode host = resources.addObject();
        host.put("type", "Host");
        host.put("name", alert.host());
        host.put("uid", alert.agent());
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
