package dev.hvwatch.agent.source.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.vm.Vm;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** QMP events as QEMU 7.2 sends them, to notices. */
class QmpEventsTest {
    private static final Vm VM = new Vm(42, 1, "web", "", 1, Optional.empty(), true, List.of());

    private static JsonNode event(String json) throws Exception {
        return QmpConnection.JSON.readTree(json);
    }

    @Test
    void shutdownSaysWhyAndWhoAndWhen() throws Exception {
        JsonNode quit = event("{\"timestamp\": {\"seconds\": 1795367715, \"microseconds\": 918531}, "
                + "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}");

        Notice n = QmpEvents.notice(quit, VM);

        assertThat(n.type()).isEqualTo("vm.stopped");
        assertThat(n.facts()).containsEntry("reason", "host-qmp-quit").containsEntry("initiator", "host")
                .containsEntry("via", "qmp");
        assertThat(n.message()).contains("web");
        assertThat(QmpEvents.timeNanos(quit, 0)).isEqualTo(1_795_367_715_918_531_000L);
    }

    @Test
    void pauseAndResume() throws Exception {
        assertThat(QmpEvents.notice(event("{\"event\": \"STOP\"}"), VM).type()).isEqualTo("vm.paused");
        assertThat(QmpEvents.notice(event("{\"event\": \"RESUME\"}"), VM).type()).isEqualTo("vm.resumed");
        assertThat(QmpEvents.timeNanos(event("{\"event\": \"STOP\"}"), 7)).isEqualTo(7);
    }

    @Test
    void aRemovedDeviceIsOneNoticeNotOnePerPart() throws Exception {
        JsonNode part = event("{\"event\": \"DEVICE_DELETED\", "
                + "\"data\": {\"path\": \"/machine/peripheral/rng0/virtio-backend\"}}");
        JsonNode device = event("{\"event\": \"DEVICE_DELETED\", "
                + "\"data\": {\"device\": \"rng0\", \"path\": \"/machine/peripheral/rng0\"}}");
        JsonNode anonymous = event("{\"event\": \"DEVICE_DELETED\", "
                + "\"data\": {\"path\": \"/machine/peripheral-anon/device[0]\"}}");

        assertThat(QmpEvents.notice(part, VM)).isNull();
        Notice n = QmpEvents.notice(device, VM);
        assertThat(n.type()).isEqualTo("vm.device_removed");
        assertThat(n.device()).isEqualTo("rng0");
        assertThat(n.facts()).containsEntry("path", "/machine/peripheral/rng0").containsEntry("seen_by", "event")
                .containsEntry("via", "qmp");
        assertThat(QmpEvents.notice(anonymous, VM).device()).isEqualTo("/machine/peripheral-anon/device[0]");
    }

    @Test
    void panicAndResetAreLifecycleNoticesToo() throws Exception {
        Notice panic = QmpEvents.notice(event("{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\"}}"),
                VM);
        assertThat(panic.type()).isEqualTo("vm.crashed");
        assertThat(panic.facts().get("reason").toString()).contains("pause");
        assertThat(QmpEvents.notice(event("{\"event\": \"RESET\", \"data\": {\"guest\": true}}"), VM).type())
                .isEqualTo("vm.rebooted");
    }

    @Test
    void otherEventsAreNotNotices() throws Exception {
        assertThat(QmpEvents.notice(event("{\"event\": \"BLOCK_JOB_READY\", \"data\": {}}"), VM)).isNull();
    }
}
