package dev.hvwatch.agent.source.kmsg;

import dev.hvwatch.agent.ring.Notice;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises the kernel log lines hvwatch acts on and turns each into a {@link Notice}:
 * <ul>
 * <li>{@code iommu.fault}: a DMA or interrupt-remapping fault reported by Intel VT-d ("DMAR"), AMD-Vi or an Arm SMMU
 * (facts: vendor, reason, address where given);
 * <li>{@code iommu.faults_suppressed}: the printk rate limiter's "N callbacks suppressed" for an IOMMU fault
 * handler — faults that happened but were not printed (fact: count);
 * <li>{@code kvm.error}: KVM failing to enter or emulate for a guest;
 * <li>{@code mce.error}: a machine check or EDAC memory error.
 * </ul>
 * The patterns cover the wordings of kernels 4.x to 6.x (the fixtures in the tests hold real lines of each).
 * Lines that match nothing are not notices; the caller ignores them.
 */
public final class KernelLogClassifier {
    /** "DMAR: [DMA Read NO_PASID] Request device [3b:00.0] fault addr 0x7fe00000 [fault reason 0x06] PTE …" */
    private static final Pattern DMAR = Pattern.compile(
            "DMAR: ?\\[(?<kind>[A-Za-z -]+?)(?: NO_PASID| PASID [0-9a-fA-Fx]+)?\\] Request device \\[(?<device>[0-9a-fA-F:.]+)\\]"
                    + "(?:.*?fault addr (?:0x)?(?<addr>[0-9a-fA-F]+))?(?:.*?fault index (?:0x)?(?<index>[0-9a-fA-F]+))?"
                    + "(?:.*?\\[fault reason (?:0x)?(?<code>[0-9a-fA-F]+)\\] ?(?<text>.*))?");
    /** "[vfio-pci 0000:41:00.0: ]AMD-Vi: Event logged [IO_PAGE_FAULT [device=42:00.0 ]domain=0x0012 address=0x… flags=0x0008]" */
    private static final Pattern AMD = Pattern.compile(
            "(?:\\S+ (?<owner>[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]): )?(?:\\S+ \\S+: )?AMD-Vi: Event logged "
                    + "\\[(?<event>[A-Z_]+)(?<fields>[^\\]]*)\\]");
    private static final Pattern KEY_VALUE = Pattern.compile("(\\w+)=(\\S+)");
    /** "arm-smmu-v3 arm-smmu-v3.3.auto: event: F_TRANSLATION client: 0000:05:00.0 sid: 0x500 ssid: 0x0 iova: 0x8000 …" */
    private static final Pattern SMMU_V3_NAMED = Pattern.compile(
            "arm-smmu-v3 (?<smmu>\\S+): event: (?<event>\\w+) client: (?<device>\\S+)(?:.*? iova: (?<addr>0x[0-9a-fA-F]+))?.*");
    /** "arm-smmu-v3 arm-smmu-v3.0.auto: event 0x10 received:" (older kernels; the raw event words follow on own lines) */
    private static final Pattern SMMU_V3_RAW = Pattern.compile(
            "arm-smmu-v3 (?<smmu>\\S+): event (?<event>0x[0-9a-fA-F]+) received:?");
    /** "arm-smmu arm-smmu.0.auto: Unhandled context fault: fsr=0x402, iova=0x…, fsynr=0x…, cbfrsynra=0x…, cb=3" */
    private static final Pattern SMMU_V2 = Pattern.compile(
            "arm-smmu (?<smmu>\\S+): Unhandled context fault: fsr=(?<fsr>0x[0-9a-fA-F]+), iova=(?<addr>0x[0-9a-fA-F]+).*");
    /** "dmar_fault: 12 callbacks suppressed", "amd_iommu_report_page_fault: 30 callbacks suppressed" */
    private static final Pattern SUPPRESSED = Pattern.compile(
            "(?<handler>\\w*(?:dmar|iommu|smmu)\\w*): (?<count>\\d+) callbacks suppressed", Pattern.CASE_INSENSITIVE);
    private static final Pattern KVM_ERROR = Pattern.compile(
            "(?:kvm|kvm_intel|kvm_amd|KVM)\\b.*?\\b(?<what>vmwrite error|vmread error|vmptrld|vmclear fail|entry failed"
                    + "|emulation fail\\w*|internal error|VM-?[Ee]nter fail\\w*|invalid guest state)\\b.*");
    private static final Pattern MCE = Pattern.compile(
            "(?:mce: \\[Hardware Error\\]: (?<mce>.*)|EDAC (?<edac>\\S+): (?<count>\\d+) (?<kind>CE|UE) .*)");

    public Optional<Notice> classify(String message) {
        Matcher m;
        if ((m = DMAR.matcher(message)).find()) {
            return Optional.of(dmar(m, message));
        }
        if ((m = AMD.matcher(message)).find()) {
            return Optional.of(amd(m, message));
        }
        if ((m = SMMU_V3_NAMED.matcher(message)).find()) {
            return Optional.of(fault("arm-smmu-v3", m.group("device"), m.group("event"), m.group("addr"), message));
        }
        if ((m = SMMU_V3_RAW.matcher(message)).find()) {
            return Optional.of(fault("arm-smmu-v3", m.group("smmu"), "event " + m.group("event"), null, message));
        }
        if ((m = SMMU_V2.matcher(message)).find()) {
            return Optional.of(fault("arm-smmu", m.group("smmu"), "context fault fsr " + m.group("fsr"),
                    m.group("addr"), message));
        }
        if ((m = SUPPRESSED.matcher(message)).find()) {
            Map<String, Object> facts = new LinkedHashMap<>();
            facts.put("handler", m.group("handler"));
            facts.put("count", Long.parseLong(m.group("count")));
            return Optional.of(new Notice("iommu.faults_suppressed", null, facts, message));
        }
        if ((m = KVM_ERROR.matcher(message)).matches()) {
            return Optional.of(new Notice("kvm.error", null, Map.of("error", m.group("what")), message));
        }
        if ((m = MCE.matcher(message)).matches()) {
            Map<String, Object> facts = new LinkedHashMap<>();
            if (m.group("edac") != null) {
                facts.put("controller", m.group("edac"));
                facts.put("count", Long.parseLong(m.group("count")));
                facts.put("kind", m.group("kind"));
            }
            return Optional.of(new Notice("mce.error", null, facts, message));
        }
        return Optional.empty();
    }

    private static Notice dmar(Matcher m, String message) {
        String reason = m.group("code") == null ? m.group("kind")
                : "0x" + normaliseHex(m.group("code")) + (m.group("text") == null || m.group("text").isBlank()
                        ? "" : " " + m.group("text").strip());
        Map<String, Object> facts = faultFacts("intel-vt-d", reason, m.group("addr") != null ? "0x" + m.group("addr") : null);
        facts.put("access", m.group("kind"));
        if (m.group("index") != null) {
            facts.put("interrupt_index", "0x" + m.group("index"));
        }
        return new Notice("iommu.fault", m.group("device"), facts, message);
    }

    private static Notice amd(Matcher m, String message) {
        Map<String, String> fields = new LinkedHashMap<>();
        Matcher kv = KEY_VALUE.matcher(m.group("fields"));
        while (kv.find()) {
            fields.put(kv.group(1), kv.group(2));
        }
        String device = fields.containsKey("device") ? fields.remove("device") : m.group("owner");
        Map<String, Object> facts = faultFacts("amd-vi", m.group("event"), fields.remove("address"));
        facts.putAll(fields);
        return new Notice("iommu.fault", device, facts, message);
    }

    private static Notice fault(String vendor, String device, String reason, String address, String message) {
        return new Notice("iommu.fault", device, faultFacts(vendor, reason, address), message);
    }

    private static Map<String, Object> faultFacts(String vendor, String reason, String address) {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("vendor", vendor);
        facts.put("reason", reason);
        if (address != null) {
            facts.put("address", address);
        }
        return facts;
    }

    private static String normaliseHex(String hex) {
        String trimmed = hex.replaceFirst("^0+(?=.)", "");
        return trimmed.length() == 1 ? "0" + trimmed : trimmed;
    }
}
