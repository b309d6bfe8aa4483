package dev.hvwatch.agent.source.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The devices a VM was given with {@code -device} or {@code device_add}: the QOM children of
 * {@code /machine/peripheral} (devices with an id) and {@code /machine/peripheral-anon} (without).
 *
 * <p>QEMU has no DEVICE_ADDED event (qapi/qdev.json defines DEVICE_DELETED only, from QEMU 7.2 to today), so a
 * hot-plug is found by comparing the tree between rounds. The first look is the baseline: devices present then
 * are not news. Removals normally arrive as DEVICE_DELETED events ({@link #deleted}); the comparison also reports
 * those that happened while hvwatch was not connected. The tree outlives connections, so a device plugged while
 * another client held the monitor is reported once hvwatch is back.
 */
final class DeviceTree {
    private static final List<String> CONTAINERS = List.of("/machine/peripheral", "/machine/peripheral-anon");
    /** One {@code qom-list} per container, in {@link #CONTAINERS} order. */
    static final List<QmpConnection.Request> LISTINGS = CONTAINERS.stream()
            .map(path -> QmpConnection.Request.of("qom-list", QmpConnection.JSON.createObjectNode().put("path", path)))
            .toList();

    /** A device that appeared or disappeared between two looks. */
    record Change(boolean added, String path, String driver, String id) {
    }

    /** QOM path to driver; null before the first look. */
    private Map<String, String> known;
    private final Map<String, String> current = new HashMap<>();
    /** Reported by DEVICE_DELETED since the last look, which may predate the deletion by a few microseconds. */
    private final Set<String> deletedByEvent = new HashSet<>();

    /**
     * Compares a new look with the previous one.
     *
     * @param listings the {@code qom-list} returns for {@link #LISTINGS}, in that order
     * @param changes  receives what changed (nothing on the first look)
     */
    void update(List<JsonNode> listings, List<Change> changes) {
        current.clear();
        for (int i = 0; i < CONTAINERS.size(); i++) {
            for (JsonNode property : listings.get(i)) {
                String type = property.path("type").asText();
                // Devices are child<driver> properties; the rest ("type") are plain properties of the container.
                if (type.startsWith("child<") && type.endsWith(">")) {
                    current.put(CONTAINERS.get(i) + "/" + property.path("name").asText(),
                            type.substring("child<".length(), type.length() - 1));
                }
            }
        }
        current.keySet().removeAll(deletedByEvent);
        deletedByEvent.clear();
        if (known != null) {
            current.forEach((path, driver) -> {
                if (!known.containsKey(path)) {
                    changes.add(new Change(true, path, driver, idOf(path)));
                }
            });
            known.forEach((path, driver) -> {
                if (!current.containsKey(path)) {
                    changes.add(new Change(false, path, driver, idOf(path)));
                }
            });
            known.clear();
        } else {
            known = new HashMap<>();
        }
        known.putAll(current);
    }

    /** A DEVICE_DELETED event reported this device already; the comparison must not report it again. */
    void deleted(String path) {
        deletedByEvent.add(path);
        if (known != null) {
            known.remove(path);
        }
    }

    /** Whether the QOM path is part of a device rather than one, e.g. /machine/peripheral/net0/virtio-backend. */
    static boolean isInsideADevice(String path) {
        for (String container : CONTAINERS) {
            if (path.startsWith(container + "/") && path.indexOf('/', container.length() + 1) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** Devices under /machine/peripheral are named by their id; anonymous ones are "device[N]". */
    private static String idOf(String path) {
        String named = CONTAINERS.get(0) + "/";
        return path.startsWith(named) ? path.substring(named.length()) : null;
    }
}
