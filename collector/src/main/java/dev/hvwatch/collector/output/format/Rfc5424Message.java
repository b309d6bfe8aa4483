package dev.hvwatch.collector.output.format;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertTime;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The alert as an RFC 5424 syslog message:
 * {@code <PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [hvwatch@PEN id="…" agent="…" seq="…" …] MSG}. PRI is the
 * configured facility and a severity from the alert's (critical 2, high 3, medium 4, low 5, info 6); TIMESTAMP the
 * alert's time cut to the microseconds RFC 5424 allows; HOSTNAME the alert's host; MSGID its rule (at most 32
 * characters). The structured data carries the alert's key fields: id, agent, seq, rule, title, severity, category,
 * state, vm, vmUuid, vmPid, vcpu, device, nist (comma-separated), runbook (its URL); values escape {@code "}, {@code \} and {@code ]}.
 * MSG is the alert's sentence (control characters as spaces, so that one message is one line) or the alert in
 * another format.
 */
public final class Rfc5424Message implements AlertFormat {
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final int MAX_HOSTNAME = 255;
    private static final int MAX_MSGID = 32;
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

    @Override
    public byte[] format(JournalEntry entry, Alert alert) {
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

    private void structuredData(StringBuilder sd, Alert alert) {
        sd.append('[').append(sdId);
        param(sd, "id", alert.id());
        param(sd, "agent", alert.agent());
        param(sd, "seq", Long.toString(alert.seq()));
        param(sd, "rule", alert.rule());
        param(sd, "title", alert.title());
        param(sd, "severity", alert.severity().wireName());
        param(sd, "category", alert.category().wireName());
        param(sd, "state", alert.state().wireName());
        if (alert.vm() != null) {
            param(sd, "vm", alert.vm().name());
            param(sd, "vmUuid", alert.vm().uuid());
            param(sd, "vmPid", Long.toString(alert.vm().pid()));
        }
        param(sd, "vcpu", alert.vcpu() == null ? null : alert.vcpu().toString());
        param(sd, "device", alert.device());
        if (!alert.nist().isEmpty()) {
            param(sd, "nist", String.join(",", alert.nist()));
        }
        param(sd, "runbook", alert.runbookUrl());
        sd.append(']');
    }

    private static void param(StringBuilder sd, String name, String value) {
        if (value == null) {
            return;
        }
        sd.append(' ').append(name).append("=\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
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
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) ? ' ' : c);
        }
        return out.toString();
    }
}
