package dev.hvwatch.collector.output.format;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.VmRef;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The alert as an RFC 5424 syslog message:
 * {@code <PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [hvwatch@PEN id="…" agent="…" seq="…" …] MSG}. PRI is the
 * configured facility and a severity from the alert's (critical 2, high 3, medium 4, low 5, info 6); TIMESTAMP the
 * alert's time cut to the microseconds RFC 5424 allows; HOSTNAME the alert's host; MSGID its rule (at most 32
 * characters). The structured data carries the alert's key fields: id, agent, seq, rule, title, severity, category,
 * state, vm, vmUuid, vmPid, vcpu, device, nist (comma-separated), runbook (its URL); the VM's tenant (instanceName, project, projectId,
 * user, flavor, manager); who took the CPU (antagonistN, antagonistNUuid, antagonistNProject, antagonistNShare,
 * antagonistNCpus for N = 1 to 5, otherHostShare, otherHostProcessN).
 *
 * <p>Values escape {@code "}, {@code \} and {@code ]}; tab and line breaks become spaces and every other control or
 * bidirectional character the text {@code \}{@code uXXXX} ({@link SafeText}), so that no value can end the message
 * or fake another. Sizes stay within what receivers take (RFC 5425 receivers must take 8 KiB; rsyslog's default
 * maximum is 8 KiB): a value is cut to {@value #MAX_SD_VALUE} characters and a sentence to {@value #MAX_TEXT}, ending
 * in {@code …}; tenant and antagonist parameters that would take the structured data past {@value #MAX_SD_OCTETS}
 * octets are left out, and {@code truncated="true"} says so. MSG is the alert's sentence or the alert in another
 * format; a message that would still pass {@value #MAX_MESSAGE_OCTETS} octets is written from the alert with its
 * strings cut ({@link Shortened}).
 */
public final class Rfc5424Message implements AlertFormat {
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final int MAX_HOSTNAME = 255;
    private static final int MAX_MSGID = 32;
    static final int MAX_SD_VALUE = 255;
    static final int MAX_SD_OCTETS = 4096;
    static final int MAX_TEXT = 2048;
    /** What RFC 5425 receivers should take, and rsyslog's default maximum. */
    static final int MAX_MESSAGE_OCTETS = 8192;
    private static final int LONGEST_CUT = 1024;
    private static final int SHORTEST_CUT = 16;
    private static final int TRUNCATED_PARAM_OCTETS = " truncated=\"true\"]".length();
    private static final String NIL = "-";

    private final int facility;
    private final String appName;
    private final String sdId;
    /** Null: MSG is the alert's sentence. */
    private final AlertFormat body;

    public Rfc5424Message(OutputConfig.Rfc5424 settings, AlertFormat body) {
        this.facility = settings.facility().code();
        this.appName = settings.appName();
        this.sdId = "hvwatch@" + settings.enterpriseId();
        this.body = body;
    }

    /**
     * The message; one that would pass {@value #MAX_MESSAGE_OCTETS} octets is made again from the alert with its
     * strings cut, shorter each time, so that the JSON, OCSF or CEF it carries stays whole and parseable.
     */
    @Override
    public byte[] format(JournalEntry entry, Alert alert) {
        byte[] message = message(entry, alert);
        for (int cut = LONGEST_CUT; message.length > MAX_MESSAGE_OCTETS && cut >= SHORTEST_CUT; cut /= 2) {
            Alert shorter = Shortened.alert(alert, cut);
            message = message(new JournalEntry(entry.index(), entry.agent(), entry.seq(), AlertJson.toBytes(shorter)),
                    shorter);
        }
        return message;
    }

    private byte[] message(JournalEntry entry, Alert alert) {
        StringBuilder head = new StringBuilder(512)
                .append('<').append(facility * 8 + Severities.syslog(alert.severity())).append(">1 ")
                .append(TIMESTAMP.format(AlertTime.parse(alert.time()))).append(' ')
                .append(headerField(alert.host(), MAX_HOSTNAME)).append(' ')
                .append(appName).append(' ')
                .append(NIL).append(' ')
                .append(headerField(alert.rule(), MAX_MSGID)).append(' ');
        structuredData(head, alert);
        head.append(' ');
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(body != null ? body.format(entry, alert) : text(alert).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private void structuredData(StringBuilder head, Alert alert) {
        StringBuilder sd = new StringBuilder(512).append('[').append(sdId);
        param(sd, "id", alert.id());
        param(sd, "agent", alert.agent());
        param(sd, "seq", Long.toString(alert.seq()));
        param(sd, "rule", alert.rule());
        param(sd, "title", alert.title());
        param(sd, "severity", alert.severity().wireName());
        param(sd, "category", alert.category().wireName());
        param(sd, "state", alert.state().wireName());
        VmRef vm = alert.vm();
        if (vm != null) {
            param(sd, "vm", vm.name());
            param(sd, "vmUuid", vm.uuid());
            param(sd, "vmPid", Long.toString(vm.pid()));
        }
        param(sd, "vcpu", alert.vcpu() == null ? null : alert.vcpu().toString());
        param(sd, "device", alert.device());
        if (!alert.nist().isEmpty()) {
            param(sd, "nist", String.join(",", alert.nist()));
        }
        param(sd, "runbook", alert.runbookUrl());
        boolean complete = optional(sd, optionalParams(alert));
        if (!complete) {
            param(sd, "truncated", "true");
        }
        head.append(sd).append(']');
    }

    /** The parameters that may be left out for size, most telling first: the tenant, then who took the CPU. */
    private static List<String[]> optionalParams(Alert alert) {
        List<String[]> params = new ArrayList<>();
        if (alert.vm() != null) {
            Tenancy.of(alert.vm()).forEach((field, value) -> add(params, camelCase(field), value));
        }
        Interference interference = Interference.of(alert.evidence());
        if (interference != null) {
            int n = 0;
            for (Interference.Antagonist antagonist : interference.antagonists()) {
                String name = "antagonist" + ++n;
                add(params, name, antagonist.vm().name());
                add(params, name + "Uuid", antagonist.vm().uuid());
                add(params, name + "Project", antagonist.vm().project());
                add(params, name + "Share", Double.toString(antagonist.shareOfWait()));
                add(params, name + "Cpus", antagonist.cpus());
            }
            if (interference.otherHostShare() != null) {
                add(params, "otherHostShare", interference.otherHostShare().toString());
            }
            n = 0;
            for (String process : interference.otherHostProcesses()) {
                add(params, "otherHostProcess" + ++n, process);
            }
        }
        return params;
    }

    /** The SD-PARAM name of a canonical field, in the style of the others: project_id → projectId. */
    private static String camelCase(String field) {
        StringBuilder name = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '_' && i + 1 < field.length()) {
                name.append(Character.toUpperCase(field.charAt(++i)));
            } else {
                name.append(c);
            }
        }
        return name.toString();
    }

    private static void add(List<String[]> params, String name, String value) {
        if (value != null) {
            params.add(new String[] {name, value});
        }
    }

    /** Appends the parameters in order while the structured data stays within its size; false if one was left out. */
    private static boolean optional(StringBuilder sd, List<String[]> params) {
        for (String[] param : params) {
            int before = sd.length();
            param(sd, param[0], param[1]);
            // Room is kept for the closing bracket and truncated="true".
            if (sd.toString().getBytes(StandardCharsets.UTF_8).length + TRUNCATED_PARAM_OCTETS > MAX_SD_OCTETS) {
                sd.setLength(before);
                return false;
            }
        }
        return true;
    }

    private static void param(StringBuilder sd, String name, String value) {
        if (value == null) {
            return;
        }
        String safe = SafeText.cut(SafeText.neutral(value), MAX_SD_VALUE);
        sd.append(' ').append(name).append("=\"");
        for (int i = 0; i < safe.length(); i++) {
            char c = safe.charAt(i);
            if (c == '"' || c == '\\' || c == ']') {
                sd.append('\\');
            }
            sd.append(c);
        }
        sd.append('"');
    }

    /** HOSTNAME and MSGID are printable US-ASCII without spaces: anything else becomes '_'; empty is NIL. */
    static String headerField(String value, int max) {
        if (value == null || value.isEmpty()) {
            return NIL;
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), max));
        for (int i = 0; i < value.length() && out.length() < max; i++) {
            char c = value.charAt(i);
            out.append(c > ' ' && c < 0x7f ? c : '_');
        }
        return out.toString();
    }

    private static String text(Alert alert) {
        String text = alert.message() != null ? alert.message() : alert.title() != null ? alert.title() : alert.rule();
        return SafeText.cut(SafeText.neutral(text), MAX_TEXT);
    }
}
