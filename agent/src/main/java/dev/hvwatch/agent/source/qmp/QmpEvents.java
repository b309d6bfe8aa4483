package dev.hvwatch.agent.source.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.source.VmLifecycle;
import dev.hvwatch.agent.vm.Vm;
import java.util.HashMap;
import java.util.Map;

/**
 * The QMP events that become {@link Notice}s, in the lifecycle vocabulary libvirt's events share
 * ({@link VmLifecycle}): a VM shutting down, panicking, pausing, resuming, resetting, and losing a device. (Devices
 * gained have no QMP event; {@link DeviceTree} finds them.) Other events (BLOCK_JOB_*, …) are ignored, and so are the
 * DEVICE_DELETED events QEMU sends for the parts of a removed device (a virtio device's virtio-backend): one removal,
 * one notice.
 */
final class QmpEvents {
    static final String VIA = "qmp";

    private QmpEvents() {
    }

    /** The notice for an event, or null if the event is not one hvwatch reports. */
    static Notice notice(JsonNode event, Vm vm) {
        JsonNode data = event.path("data");
        return switch (event.path("event").asText()) {
            case "SHUTDOWN" -> VmLifecycle.stopped(vm.name(), data.path("reason").asText("unknown"),
                    data.path("guest").asBoolean() ? "guest" : "host", VIA);
            case "GUEST_PANICKED" -> VmLifecycle.crashed(vm.name(), "guest panicked ("
                    + data.path("action").asText("unknown action") + ")", VIA);
            case "STOP" -> VmLifecycle.paused(vm.name(), "stopped over QMP", VIA);
            case "RESUME" -> VmLifecycle.resumed(vm.name(), "resumed over QMP", VIA);
            case "RESET" -> VmLifecycle.rebooted(vm.name(), VIA);
            case "DEVICE_DELETED" -> DeviceTree.isInsideADevice(data.path("path").asText()) ? null
                    : deviceDeleted(vm, data.path("path").asText(),
                            data.hasNonNull("device") ? data.get("device").asText() : null, "event");
            default -> null;
        };
    }

    /** The QOM path of a DEVICE_DELETED event, or null for other events. */
    static String deletedDevicePath(JsonNode event) {
        return "DEVICE_DELETED".equals(event.path("event").asText()) ? event.path("data").path("path").asText()
                : null;
    }

    /**
     * When QEMU says the event happened, in nanoseconds since the epoch; {@code fallback} when it does not say.
     */
    static long timeNanos(JsonNode event, long fallback) {
        JsonNode t = event.get("timestamp");
        if (t == null || !t.path("seconds").canConvertToLong()) {
            return fallback;
        }
        return t.get("seconds").asLong() * 1_000_000_000L + t.path("microseconds").asLong() * 1_000L;
    }

    static Notice deviceAdded(Vm vm, String path, String driver, String id) {
        Map<String, Object> facts = facts(path, id, "device tree");
        facts.put("driver", driver);
        return VmLifecycle.deviceAdded(vm.name(), id != null ? id : path, facts, VIA);
    }

    /** @param seenBy "event" (DEVICE_DELETED) or "device tree" (gone while hvwatch was not connected) */
    static Notice deviceDeleted(Vm vm, String path, String id, String seenBy) {
        return VmLifecycle.deviceRemoved(vm.name(), id != null ? id : path, facts(path, id, seenBy), VIA);
    }

    private static Map<String, Object> facts(String path, String id, String seenBy) {
        Map<String, Object> facts = new HashMap<>();
        facts.put("path", path);
        if (id != null) {
            facts.put("id", id);
        }
        facts.put("seen_by", seenBy);
        return facts;
    }
}
