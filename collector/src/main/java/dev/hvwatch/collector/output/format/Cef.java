package dev.hvwatch.collector.output.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertTime;
import java.nio.charset.StandardCharsets;

/**
 * The alert as ArcSight CEF: {@code CEF:0|hvwatch|hvwatch|VERSION|RULE|TITLE|SEVERITY|EXTENSION}, UTF-8. Header
 * fields escape {@code \} and {@code |}; extension values escape {@code \}, {@code =} and line breaks (a header
 * field has no escape for a line break, so there it becomes a space). The extension, from the CEF dictionary:
 * <pre>
 * rt               alert time, epoch milliseconds      externalId        alert id
 * dvchost          host                                deviceExternalId  agent (its certificate identity)
 * cat              category                            msg               the alert's sentence
 * cs1Label=state   cs1: firing | resolved              cn1Label=seq      cn1: the agent's sequence number
 * cs2Label=vm      cs2: VM name                        cs3Label=vmUuid   cs3: VM UUID
 * cn2Label=vmPid   cn2: QEMU pid                       cn3Label=vcpu     cn3: vCPU index
 * cs4Label=device  cs4: device                         cs5Label=nist     cs5: NIST SP 800-125A items, comma-separated
 * cs6Label=evidence  cs6: the rule's figures as JSON
 * flexString1Label=runbook  flexString1: the runbook's URL
 * </pre>
 * Keys of absent fields are left out.
 */
public final class Cef implements AlertFormat {

    @Override
    public byte[] format(JournalEntry entry, Alert alert) {
        return line(alert).getBytes(StandardCharsets.UTF_8);
    }

    static String line(Alert alert) {
        StringBuilder cef = new StringBuilder(512).append("CEF:0");
        for (String field : new String[] {Product.VENDOR, Product.NAME, Product.VERSION, alert.rule(),
            alert.title() != null ? alert.title() : alert.rule(),
            Integer.toString(Severities.cef(alert.severity()))}) {
            cef.append('|').append(header(field));
        }
        cef.append('|');
        Extension ext = new Extension(cef);
        ext.put("rt", Long.toString(AlertTime.parse(alert.time()).toEpochMilli()));
        ext.put("dvchost", alert.host());
        ext.put("deviceExternalId", alert.agent());
        ext.put("externalId", alert.id());
        ext.put("cat", alert.category().wireName());
        ext.labelled("cs1", "state", alert.state().wireName());
        ext.labelled("cn1", "seq", Long.toString(alert.seq()));
        if (alert.vm() != null) {
            ext.labelled("cs2", "vm", alert.vm().name());
            ext.labelled("cs3", "vmUuid", alert.vm().uuid());
            ext.labelled("cn2", "vmPid", Long.toString(alert.vm().pid()));
        }
        if (alert.vcpu() != null) {
            ext.labelled("cn3", "vcpu", alert.vcpu().toString());
        }
        ext.labelled("cs4", "device", alert.device());
        if (!alert.nist().isEmpty()) {
            ext.labelled("cs5", "nist", String.join(",", alert.nist()));
        }
        if (!alert.evidence().isEmpty()) {
            ext.labelled("cs6", "evidence", json(alert));
        }
        ext.labelled("flexString1", "runbook", alert.runbookUrl());
        ext.put("msg", alert.message());
        return cef.toString();
    }

    /** A header field: backslash and pipe escaped; line breaks, which the header cannot carry, become spaces. */
    static String header(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '|' -> out.append("\\|");
                case '\n', '\r' -> out.append(' ');
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** An extension value: backslash, equals sign and line breaks escaped. */
    static String extensionValue(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '=' -> out.append("\\=");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static String json(Alert alert) {
        try {
            return AlertJson.mapper().writeValueAsString(alert.evidence());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("alert " + alert.id() + ": evidence cannot be written as JSON", e);
        }
    }

    /** Appends {@code key=value} pairs, space-separated, skipping absent values. */
    private static final class Extension {
        private final StringBuilder out;
        private boolean first = true;

        Extension(StringBuilder out) {
            this.out = out;
        }

        void put(String key, String value) {
            if (value == null) {
                return;
            }
            if (!first) {
                out.append(' ');
            }
            first = false;
            out.append(key).append('=').append(extensionValue(value));
        }

        /** A custom field: its label (cs1Label=…) and its value (cs1=…). */
        void labelled(String key, String label, String value) {
            if (value != null) {
                put(key + "Label", label);
                put(key, value);
            }
        }
    }
}
