package dev.hvwatch.collector.output.format;

import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.VmRef;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The alert as ArcSight CEF: {@code CEF:0|hvwatch|hvwatch|VERSION|RULE|TITLE|SEVERITY|EXTENSION}, UTF-8. The
 * extension, from the CEF dictionary:
 * <pre>
 * rt                 alert time, epoch milliseconds    externalId        alert id
 * dvchost            host                              deviceExternalId  agent (its certificate identity)
 * cat                category                          msg               the alert's sentence
 * cs1Label=state     cs1: firing | resolved            cn1Label=seq      cn1: the agent's sequence number
 * cs2Label=vm        cs2: VM name                      cs3Label=vmUuid   cs3: VM UUID
 * cn2Label=vmPid     cn2: QEMU pid                     cn3Label=vcpu     cn3: vCPU index
 * cs4Label=device    cs4: device                       cs5Label=nist     cs5: NIST SP 800-125A items, comma-separated
 * cs6Label=evidence  cs6: the rule's figures as JSON   duser             the user owning the VM (tenant)
 * flexString1Label=tenant       flexString1: the VM's tenant fields as JSON (instance_name, project, project_id,
 *                                            user, flavor, manager)
 * flexString2Label=antagonists  flexString2: who took the CPU as JSON: antagonists [{vm, uuid, project,
 *                                            share_of_wait, cpus}], other_host_share, other_host_processes
 * (no key is left for the runbook's URL: a SOC finds it from the rule, the signature id)
 * </pre>
 * Keys of absent fields are left out. Values are held to the dictionary's lengths (header: signature id 1023,
 * name 512; dvchost 100, externalId 40, deviceExternalId 255, msg, cat and duser 1023, custom strings 4000, flex
 * strings 1023): text is cut and ends in {@code …}, JSON stays JSON ({@link BoundedJson}). Header fields escape
 * {@code \} and {@code |}; extension values escape {@code \}, {@code =} and line breaks ({@code \n}, {@code \r}).
 * Tabs and line breaks in the header become spaces, and every other control or bidirectional character is written
 * as the text {@code \}{@code uXXXX} ({@link SafeText}), so that no value can end a record or fake one.
 */
public final class Cef implements AlertFormat {
    static final int MAX_SIGNATURE_ID = 1023;
    static final int MAX_NAME = 512;
    static final int MAX_DVCHOST = 100;
    static final int MAX_EXTERNAL_ID = 40;
    static final int MAX_DEVICE_EXTERNAL_ID = 255;
    static final int MAX_TEXT = 1023;
    static final int MAX_CUSTOM_STRING = 4000;
    static final int MAX_FLEX_STRING = 1023;

    @Override
    public byte[] format(JournalEntry entry, Alert alert) {
        return line(alert).getBytes(StandardCharsets.UTF_8);
    }

    static String line(Alert alert) {
        StringBuilder cef = new StringBuilder(512).append("CEF:0");
        for (String field : new String[] {Product.VENDOR, Product.NAME, Product.VERSION,
            fit(alert.rule(), MAX_SIGNATURE_ID),
            fit(alert.title() != null ? alert.title() : alert.rule(), MAX_NAME),
            Integer.toString(Severities.cef(alert.severity()))}) {
            cef.append('|').append(header(field));
        }
        cef.append('|');
        Extension ext = new Extension(cef);
        ext.put("rt", Long.toString(AlertTime.parse(alert.time()).toEpochMilli()));
        Instant heldSince = HeldSince.of(alert);
        if (heldSince != null) {
            ext.put("start", Long.toString(heldSince.toEpochMilli()));
        }
        ext.put("dvchost", fit(alert.host(), MAX_DVCHOST));
        ext.put("deviceExternalId", fit(alert.agent(), MAX_DEVICE_EXTERNAL_ID));
        ext.put("externalId", fit(alert.id(), MAX_EXTERNAL_ID));
        ext.put("cat", alert.category().wireName());
        ext.labelled("cs1", "state", alert.state().wireName());
        ext.labelled("cn1", "seq", Long.toString(alert.seq()));
        VmRef vm = alert.vm();
        if (vm != null) {
            ext.labelled("cs2", "vm", fit(vm.name(), MAX_CUSTOM_STRING));
            ext.labelled("cs3", "vmUuid", fit(vm.uuid(), MAX_CUSTOM_STRING));
            ext.labelled("cn2", "vmPid", Long.toString(vm.pid()));
        }
        if (alert.vcpu() != null) {
            ext.labelled("cn3", "vcpu", alert.vcpu().toString());
        }
        ext.labelled("cs4", "device", fit(alert.device(), MAX_CUSTOM_STRING));
        if (!alert.nist().isEmpty()) {
            ext.labelled("cs5", "nist", fit(String.join(",", alert.nist()), MAX_CUSTOM_STRING));
        }
        Interference interference = Interference.of(alert.evidence());
        Map<String, Object> figures = Interference.figures(alert.evidence(), interference);
        if (!figures.isEmpty()) {
            ext.labelled("cs6", "evidence", BoundedJson.fit(figures, MAX_CUSTOM_STRING));
        }
        if (vm != null && !Tenancy.of(vm).isEmpty()) {
            ext.put("duser", fit(vm.user(), MAX_TEXT));
            ext.labelled("flexString1", "tenant", BoundedJson.fit(cut -> BoundedJson.cutStrings(Tenancy.of(vm), cut),
                    MAX_FLEX_STRING));
        }
        if (interference != null) {
            ext.labelled("flexString2", "antagonists", antagonists(interference));
        }
        ext.put("msg", fit(alert.message(), MAX_TEXT));
        return cef.toString();
    }

    /** {@code value} in the form a reader gets back, cut to {@code max} characters. */
    private static String fit(String value, int max) {
        return SafeText.cut(SafeText.visible(value), max);
    }

    /** As many antagonists as fit, largest share first; fewer than the alert names only with "truncated". */
    private static String antagonists(Interference interference) {
        List<Interference.Antagonist> all = interference.antagonists();
        for (int kept = all.size(); kept >= 0; kept--) {
            Map<String, Object> json = new LinkedHashMap<>();
            List<Map<String, Object>> entries = new ArrayList<>();
            for (Interference.Antagonist antagonist : all.subList(0, kept)) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("vm", antagonist.vm().name());
                entry.put("uuid", antagonist.vm().uuid());
                entry.put("project", antagonist.vm().project());
                entry.put("share_of_wait", antagonist.shareOfWait());
                entry.put("cpus", antagonist.cpus());
                entry.values().removeIf(v -> v == null);
                entries.add(entry);
            }
            json.put(Interference.ANTAGONISTS, entries);
            if (interference.otherHostShare() != null) {
                json.put(Interference.OTHER_HOST_SHARE, interference.otherHostShare());
            }
            if (!interference.otherHostProcesses().isEmpty()) {
                json.put(Interference.OTHER_HOST_PROCESSES, interference.otherHostProcesses());
            }
            if (kept < all.size()) {
                json.put(BoundedJson.TRUNCATED, true);
            }
            String fitted = BoundedJson.fit(cut -> BoundedJson.cutStrings(json, cut), MAX_FLEX_STRING);
            if (fitted != null) {
                return fitted;
            }
        }
        return BoundedJson.write(Map.of(BoundedJson.TRUNCATED, true));
    }

    /**
     * A header field: backslash and pipe escaped; tab and line breaks, which the header cannot carry, as spaces;
     * other hazards as visible text.
     */
    static String header(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '|' -> out.append("\\|");
                case '\n', '\r', '\t' -> out.append(' ');
                default -> appendSafe(out, c);
            }
        }
        return out.toString();
    }

    /** An extension value: backslash, equals sign and line breaks escaped; a tab as a space; hazards as text. */
    static String extensionValue(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '=' -> out.append("\\=");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append(' ');
                default -> appendSafe(out, c);
            }
        }
        return out.toString();
    }

    /** A hazard's notation starts with a backslash, which CEF escapes like any other. */
    private static void appendSafe(StringBuilder out, char c) {
        if (SafeText.isHazard(c)) {
            out.append('\\').append(SafeText.escape(c));
        } else {
            out.append(c);
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
