package dev.hvwatch.agent.ring;

import java.util.Map;
import java.util.Objects;

/**
 * A discrete happening a source observed, as opposed to a {@link Series} value: an IOMMU fault line in the kernel
 * log, a QMP DEVICE_ADDED event, a KVM emulation failure. Notices are rare, so each is its own object.
 *
 * @param type    stable, lower-case, dotted name rules match on, e.g. {@code iommu.fault}, {@code qmp.device_added}
 * @param device  the device concerned (PCI address, QOM path), or null
 * @param facts   what the source read, for evidence (values are strings or numbers)
 * @param message one readable sentence
 */
public record Notice(String type, String device, Map<String, Object> facts, String message) {
    public Notice {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(message, "message");
        facts = Map.copyOf(facts);
    }
}
