package dev.hvwatch.agent.source.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.source.VmLifecycle;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** libvirt's (event, detail) codes from libvirt-domain.h, to the lifecycle notices QMP's events share. */
class DomainEventNoticesTest {

    private static Notice lifecycle(int event, int detail) {
        return DomainEventNotices.of(new DomainEvent(DomainEvent.Type.LIFECYCLE, "u-1", "web", event, detail, null,
                Map.of()), "web");
    }

    @Test
    void lifecycleEventsAndTheirDetails() {
        assertThat(lifecycle(DomainEventNotices.STARTED, 0)).as("booted: discovery reports it").isNull();
        assertThat(lifecycle(DomainEventNotices.SHUTDOWN, 1)).as("the STOPPED that follows says it").isNull();
        assertThat(lifecycle(DomainEventNotices.STARTED, 1).facts()).containsEntry("direction", "in");
        assertThat(lifecycle(DomainEventNotices.STOPPED, 3).facts()).containsEntry("direction", "out");
        assertThat(lifecycle(DomainEventNotices.STARTED, 2).facts()).containsEntry("from", "saved state");
        assertThat(lifecycle(DomainEventNotices.RESUMED, 2).facts()).containsEntry("from", "snapshot");
        assertThat(lifecycle(DomainEventNotices.SUSPENDED, 0).type()).isEqualTo(VmLifecycle.PAUSED);
        assertThat(lifecycle(DomainEventNotices.SUSPENDED, 2).facts()).containsEntry("reason",
                "paused after a disk I/O error");
        assertThat(lifecycle(DomainEventNotices.RESUMED, 0).type()).isEqualTo(VmLifecycle.RESUMED);
        Notice destroyed = lifecycle(DomainEventNotices.STOPPED, 1);
        assertThat(destroyed.type()).isEqualTo(VmLifecycle.STOPPED);
        assertThat(destroyed.facts()).containsEntry("reason", "destroyed").containsEntry("initiator", "host")
                .containsEntry("via", "libvirt");
        assertThat(lifecycle(DomainEventNotices.STOPPED, 2).type()).isEqualTo(VmLifecycle.CRASHED);
        assertThat(lifecycle(DomainEventNotices.STOPPED, 5).type()).isEqualTo(VmLifecycle.CRASHED);
        assertThat(lifecycle(DomainEventNotices.CRASHED, 0).facts()).containsEntry("reason", "the guest panicked");
        assertThat(lifecycle(DomainEventNotices.PMSUSPENDED, 0).type()).isEqualTo(VmLifecycle.PAUSED);
        assertThat(lifecycle(99, 0)).as("an event type of a later libvirt").isNull();
    }

    @Test
    void definitionChangesNameTheDomainAndDoNotWaitForARunningVm() {
        DomainEvent updated = new DomainEvent(DomainEvent.Type.LIFECYCLE, "u-1", "web", DomainEventNotices.DEFINED, 1,
                null, Map.of());
        Notice n = DomainEventNotices.of(updated, "web");
        assertThat(n.type()).isEqualTo(VmLifecycle.CONFIG_CHANGED);
        assertThat(n.facts()).containsEntry("change", "updated").containsEntry("domain", "web")
                .containsEntry("uuid", "u-1");
        assertThat(DomainEventNotices.needsRunningVm(updated)).isFalse();
        assertThat(DomainEventNotices.mayChangeTenant(updated)).isTrue();
        assertThat(DomainEventNotices.needsRunningVm(new DomainEvent(DomainEvent.Type.LIFECYCLE, "u-1", "web",
                DomainEventNotices.STARTED, 1, null, Map.of()))).isTrue();
    }

    @Test
    void devicesJobsAndMetadata() {
        Notice added = DomainEventNotices.of(new DomainEvent(DomainEvent.Type.DEVICE_ADDED, "u", "web", 0, 0,
                "hostdev0", Map.of()), "web");
        assertThat(added.type()).isEqualTo(VmLifecycle.DEVICE_ADDED);
        assertThat(added.device()).isEqualTo("hostdev0");
        assertThat(DomainEventNotices.of(new DomainEvent(DomainEvent.Type.DEVICE_REMOVED, "u", "web", 0, 0, null,
                Map.of()), "web").device()).isEqualTo("?");
        Notice job = DomainEventNotices.of(new DomainEvent(DomainEvent.Type.JOB_COMPLETED, "u", "web", 0, 0, null,
                Map.of("operation", "outgoing migration", "time_elapsed_ms", 1200L)), "web");
        assertThat(job.message()).contains("outgoing migration");
        assertThat(job.facts()).containsEntry("time_elapsed_ms", 1200L);
        Notice block = DomainEventNotices.of(new DomainEvent(DomainEvent.Type.BLOCK_JOB, "u", "web", 2, 3, "vda",
                Map.of()), "web");
        assertThat(block.type()).isEqualTo(VmLifecycle.BLOCK_JOB);
        assertThat(block.facts()).containsEntry("job", "copy").containsEntry("status", "is ready to pivot");
        Notice meta = DomainEventNotices.of(new DomainEvent(DomainEvent.Type.METADATA_CHANGE, "u", "web", 2, 0,
                "http://openstack.org/xmlns/libvirt/nova/1.1", Map.of()), "web");
        assertThat(meta.facts()).containsEntry("change", "metadata")
                .containsEntry("metadata", "element http://openstack.org/xmlns/libvirt/nova/1.1");
    }
}
