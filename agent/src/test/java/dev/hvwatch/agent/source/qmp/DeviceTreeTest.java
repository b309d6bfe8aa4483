package dev.hvwatch.agent.source.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hot-plug found by comparing qom-list answers (as QEMU 7.2 gives them) between rounds. */
class DeviceTreeTest {
    private static final String EMPTY = "[{\"name\": \"type\", \"type\": \"string\"}]";

    private final DeviceTree tree = new DeviceTree();

    private List<DeviceTree.Change> look(String peripheral, String anonymous) throws Exception {
        List<DeviceTree.Change> changes = new ArrayList<>();
        List<JsonNode> listings = List.of(QmpConnection.JSON.readTree(peripheral),
                QmpConnection.JSON.readTree(anonymous));
        tree.update(listings, changes);
        return changes;
    }

    private static String with(String... devices) {
        StringBuilder b = new StringBuilder("[{\"name\": \"type\", \"type\": \"string\"}");
        for (int i = 0; i < devices.length; i += 2) {
            b.append(", {\"name\": \"").append(devices[i]).append("\", \"type\": \"child<").append(devices[i + 1])
                    .append(">\"}");
        }
        return b.append("]").toString();
    }

    @Test
    void devicesPresentAtTheFirstLookAreNotNews() throws Exception {
        assertThat(look(with("rng0", "virtio-rng-pci"), EMPTY)).isEmpty();
        assertThat(look(with("rng0", "virtio-rng-pci"), EMPTY)).isEmpty();
    }

    @Test
    void hotPlugsWithAndWithoutAnIdAreReported() throws Exception {
        look(EMPTY, EMPTY);

        assertThat(look(with("td0", "pci-testdev"), with("device[0]", "virtio-rng-pci"))).containsExactlyInAnyOrder(
                new DeviceTree.Change(true, "/machine/peripheral/td0", "pci-testdev", "td0"),
                new DeviceTree.Change(true, "/machine/peripheral-anon/device[0]", "virtio-rng-pci", null));
    }

    @Test
    void aRemovalWithoutItsEventIsReportedAndOneWithItIsNot() throws Exception {
        look(with("a", "pci-testdev", "b", "pci-testdev"), EMPTY);

        tree.deleted("/machine/peripheral/a");

        assertThat(look(EMPTY, EMPTY)).containsExactly(
                new DeviceTree.Change(false, "/machine/peripheral/b", "pci-testdev", "b"));
    }

    @Test
    void aDeviceTheEventRemovedIsNotReAddedByALookTakenJustBefore() throws Exception {
        look(with("a", "pci-testdev"), EMPTY);

        tree.deleted("/machine/peripheral/a");

        assertThat(look(with("a", "pci-testdev"), EMPTY)).isEmpty();
        assertThat(look(EMPTY, EMPTY)).isEmpty();
    }
}
