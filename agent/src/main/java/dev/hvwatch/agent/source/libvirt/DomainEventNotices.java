package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.source.VmLifecycle;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * libvirt's domain events in the lifecycle vocabulary QMP's events share ({@link VmLifecycle}). The codes are those
 * of {@code virDomainEventType} and its detail enums in {@code libvirt-domain.h}. A domain booting is not news here
 * (discovery announces every VM that starts, {@code vm.started}), nor is the shutdown that precedes its stop.
 */
final class DomainEventNotices {
    static final String VIA = "libvirt";

    static final int DEFINED = 0;
    static final int UNDEFINED = 1;
    static final int STARTED = 2;
    static final int SUSPENDED = 3;
    static final int RESUMED = 4;
    static final int STOPPED = 5;
    static final int SHUTDOWN = 6;
    static final int PMSUSPENDED = 7;
    static final int CRASHED = 8;

    private DomainEventNotices() {
    }

    /**
     * The notice for an event, or null if it is not one to report.
     *
     * @param vmName the VM's name as discovery knows it, or the domain's name for a domain not running
     */
    static Notice of(DomainEvent e, String vmName) {
        return switch (e.type()) {
            case LIFECYCLE -> lifecycle(e, vmName);
            case REBOOT -> VmLifecycle.rebooted(vmName, VIA);
            case DEVICE_ADDED -> VmLifecycle.deviceAdded(vmName, device(e), Map.of(), VIA);
            case DEVICE_REMOVED -> VmLifecycle.deviceRemoved(vmName, device(e), Map.of(), VIA);
            case METADATA_CHANGE -> VmLifecycle.configChanged(vmName, "metadata", domainFacts(e, "metadata",
                    metadataType(e.event()) + (e.text() != null ? " " + e.text() : "")), VIA);
            case JOB_COMPLETED -> VmLifecycle.jobCompleted(vmName, e.facts(), VIA);
            case BLOCK_JOB -> VmLifecycle.blockJob(vmName, e.text() == null ? "?" : e.text(), blockJobType(e.event()),
                    blockJobStatus(e.detail()), VIA);
        };
    }

    /** Whether the event can only concern a running VM (so it waits for discovery to see the VM). */
    static boolean needsRunningVm(DomainEvent e) {
        return !(e.type() == DomainEvent.Type.LIFECYCLE && (e.event() == DEFINED || e.event() == UNDEFINED))
                && e.type() != DomainEvent.Type.METADATA_CHANGE;
    }

    /** Whether the event may have changed the domain's tenant (its metadata or title). */
    static boolean mayChangeTenant(DomainEvent e) {
        return e.type() == DomainEvent.Type.METADATA_CHANGE
                || (e.type() == DomainEvent.Type.LIFECYCLE && e.event() == DEFINED);
    }

    private static Notice lifecycle(DomainEvent e, String vm) {
        int d = e.detail();
        return switch (e.event()) {
            case DEFINED -> VmLifecycle.configChanged(vm, switch (d) {
                case 0 -> "defined";
                case 1 -> "updated";
                case 2 -> "renamed";
                case 3 -> "restored from a snapshot";
                default -> "defined (detail " + d + ")";
            }, domainFacts(e, null, null), VIA);
            case UNDEFINED -> VmLifecycle.configChanged(vm, d == 1 ? "renamed away" : "undefined",
                    domainFacts(e, null, null), VIA);
            case STARTED -> switch (d) {
                case 1 -> VmLifecycle.migrated(vm, "in", VIA);
                case 2 -> VmLifecycle.restored(vm, "saved state", VIA);
                case 3 -> VmLifecycle.restored(vm, "snapshot", VIA);
                case 4 -> VmLifecycle.resumed(vm, "woken up from guest suspend", VIA);
                default -> null; // booted: discovery reports it
            };
            case SUSPENDED -> switch (d) {
                case 0 -> VmLifecycle.paused(vm, "paused by the host", VIA);
                case 1 -> VmLifecycle.paused(vm, "paused for migration", VIA);
                case 2 -> VmLifecycle.paused(vm, "paused after a disk I/O error", VIA);
                case 3 -> VmLifecycle.paused(vm, "paused by its watchdog", VIA);
                case 4 -> VmLifecycle.restored(vm, "saved state", VIA);
                case 5 -> VmLifecycle.restored(vm, "snapshot", VIA);
                case 6 -> VmLifecycle.paused(vm, "paused after a failed libvirt call", VIA);
                case 7 -> VmLifecycle.paused(vm, "paused for post-copy migration", VIA);
                case 8 -> VmLifecycle.paused(vm, "paused after a failed post-copy migration", VIA);
                default -> VmLifecycle.paused(vm, "detail " + d, VIA);
            };
            case RESUMED -> switch (d) {
                case 0 -> VmLifecycle.resumed(vm, "unpaused", VIA);
                case 1 -> VmLifecycle.resumed(vm, "resumed after migration", VIA);
                case 2 -> VmLifecycle.restored(vm, "snapshot", VIA);
                case 3 -> VmLifecycle.resumed(vm, "resumed during post-copy migration", VIA);
                case 4 -> VmLifecycle.resumed(vm, "running after a failed post-copy migration", VIA);
                default -> VmLifecycle.resumed(vm, "detail " + d, VIA);
            };
            case STOPPED -> switch (d) {
                case 0 -> VmLifecycle.stopped(vm, "shut down", null, VIA);
                case 1 -> VmLifecycle.stopped(vm, "destroyed", "host", VIA);
                case 2 -> VmLifecycle.crashed(vm, "the guest crashed", VIA);
                case 3 -> VmLifecycle.migrated(vm, "out", VIA);
                case 4 -> VmLifecycle.stopped(vm, "saved to a state file", "host", VIA);
                case 5 -> VmLifecycle.crashed(vm, "its emulator or libvirt failed", VIA);
                case 6 -> VmLifecycle.restored(vm, "snapshot", VIA);
                default -> VmLifecycle.stopped(vm, "detail " + d, null, VIA);
            };
            case PMSUSPENDED -> VmLifecycle.paused(vm, d == 1 ? "suspended to disk by its guest"
                    : "suspended to memory by its guest", VIA);
            case CRASHED -> VmLifecycle.crashed(vm, d == 1 ? "the guest loaded its crash kernel" : "the guest panicked",
                    VIA);
            default -> null; // SHUTDOWN: the STOPPED that follows says it; later event types are unknown here
        };
    }

    private static Map<String, Object> domainFacts(DomainEvent e, String key, String value) {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("domain", e.domain());
        facts.put("uuid", e.uuid());
        if (key != null) {
            facts.put(key, value);
        }
        return facts;
    }

    private static String device(DomainEvent e) {
        return e.text() == null || e.text().isEmpty() ? "?" : e.text();
    }

    private static String metadataType(int type) {
        return switch (type) {
            case 0 -> "description";
            case 1 -> "title";
            case 2 -> "element";
            default -> "type " + type;
        };
    }

    private static String blockJobType(int type) {
        return switch (type) {
            case 1 -> "pull";
            case 2 -> "copy";
            case 3 -> "commit";
            case 4 -> "active commit";
            case 5 -> "backup";
            default -> "unknown";
        };
    }

    private static String blockJobStatus(int status) {
        return switch (status) {
            case 0 -> "completed";
            case 1 -> "failed";
            case 2 -> "was cancelled";
            case 3 -> "is ready to pivot";
            default -> "status " + status;
        };
    }
}
