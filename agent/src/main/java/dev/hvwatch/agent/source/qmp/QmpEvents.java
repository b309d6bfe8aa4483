package dev.hvwatch.agent.source.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.source.discovery.Vm;
import java.util.HashMap;
import java.util.Map;

/**
 * The QMP events that become {@link Notice}s: a VM stopping, pausing, resuming, and losing a device. (Devices
 * gained have no QMP event; {@link DeviceTree} finds them.) Other events (RESET, BLOCK_JOB_*, …) are ignored, and
 * so are the DEVICE_DELETED events QEMU sends for the parts of a removed device (a virtio device's
 * virtio-backend): one removal, one notice.
 */
final class QmpEvents {
    static final String SHUTDOWN = "qmp.shutdown";
    static final String STOP = "qmp.stop";
    static final String RESUME = "qmp.resume";
    static final String DEVICE_ADDED = "qmp.device_added";
    static final String DEVICE_DELETED = "qmp.device_deleted";

    private QmpEvents() {
    }

    /** The notice for an event, or null if the event is not one hvwatch reports. */
    static Notice notice(JsonNode event, Vm vm) {
        JsonNode data = event.path("data");
        return switch (event.path("event").asText()) {
            case "SHUTDOWN" -> {
                String by = data.path("guest").asBoolean() ? "guest" : "host";
                String reason = data.path("reason").asText("unknown");
                yield new Notice(SHUTDOWN, null, Map.of("reason", reason, "initiator", by),
                        "VM " + vm.name() + " is shutting down (" + reason + ", initiated by the " + by + ")");
            }
            case "STOP" -> new Notice(STOP, null, Map.of(), "VM " + vm.name() + " was paused: its vCPUs stopped");
            case "RESUME" -> new Notice(RESUME, null, Map.of(), "VM " + vm.name() + " resumed: its vCPUs run again");
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
        return new Notice(DEVICE_ADDED, id != null ? id : path, facts, "Device " + driver + " "
                + (id != null ? id + " " : "") + "was added to VM " + vm.name() + " at " + path);
    }

    /** @param via "event" (DEVICE_DELETED) or "device tree" (gone while hvwatch was not connected) */
    static Notice deviceDeleted(Vm vm, String path, String id, String via) {
        return new Notice(DEVICE_DELETED, id != null ? id : path, facts(path, id, via), "Device "
                + (id != null ? id + " " : "") + "was removed from VM " + vm.name() + " at " + path);
    }

    private static Map<String, Object> facts(String path, String id, String via) {
        Map<String, Object> facts = new HashMap<>();
        facts.put("path", path);
        if (id != null) {
            facts.put("id", id);
        }
        facts.put("via", via);
        return facts;
    }
}
