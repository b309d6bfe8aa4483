package dev.hvwatch.agent.source;

import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.vm.Vm;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The notices of a VM's life — stopped, crashed, paused, resumed, migrated, restored, rebooted, devices and
 * configuration changed — in one vocabulary whichever source saw them: QMP events for plain QEMU, libvirt's domain
 * events for libvirt's VMs. The default rule pack matches these types, so both stacks alert alike.
 *
 * <p>Every notice's facts carry {@code via} (the source: {@code qmp}, {@code libvirt}, {@code device tree}) and, where
 * the source gives one, a {@code reason} in the source's own words.
 */
public final class VmLifecycle {
    public static final String STARTED = "vm.started";
    public static final String STOPPED = "vm.stopped";
    public static final String CRASHED = "vm.crashed";
    public static final String PAUSED = "vm.paused";
    public static final String RESUMED = "vm.resumed";
    public static final String MIGRATED = "vm.migrated";
    public static final String RESTORED = "vm.restored";
    public static final String REBOOTED = "vm.rebooted";
    public static final String DEVICE_ADDED = "vm.device_added";
    public static final String DEVICE_REMOVED = "vm.device_removed";
    public static final String CONFIG_CHANGED = "vm.config_changed";
    public static final String JOB_COMPLETED = "vm.job_completed";
    public static final String BLOCK_JOB = "vm.block_job";

    private VmLifecycle() {
    }

    /** A QEMU process appeared: how it runs and its (redacted) command line, for the HY-SR-17 change log. */
    public static Notice started(Vm vm) {
        return new Notice(STARTED, null, Map.of(
                "accelerator", vm.kvm() ? "kvm" : "tcg (emulated)",
                "manager", vm.manager(),
                "command_line", String.join(" ", vm.commandLine()),
                "pid", vm.pid()), "VM " + vm.describe() + " started");
    }

    /** @param reason why, in the source's words ("destroyed", "host-qmp-quit"); {@code initiator} may be null */
    public static Notice stopped(String vmName, String reason, String initiator, String via) {
        Map<String, Object> facts = facts(via, reason);
        if (initiator != null) {
            facts.put("initiator", initiator);
        }
        return new Notice(STOPPED, null, facts, "VM " + vmName + " stopped (" + reason
                + (initiator != null ? ", initiated by the " + initiator : "") + ")");
    }

    public static Notice crashed(String vmName, String reason, String via) {
        return new Notice(CRASHED, null, facts(via, reason), "VM " + vmName + " crashed (" + reason + ")");
    }

    public static Notice paused(String vmName, String reason, String via) {
        return new Notice(PAUSED, null, facts(via, reason), "VM " + vmName + " was paused (" + reason
                + "): its vCPUs stopped");
    }

    public static Notice resumed(String vmName, String reason, String via) {
        return new Notice(RESUMED, null, facts(via, reason), "VM " + vmName + " resumed (" + reason
                + "): its vCPUs run again");
    }

    /** @param direction {@code in} (arrived on this host) or {@code out} (left it) */
    public static Notice migrated(String vmName, String direction, String via) {
        Map<String, Object> facts = facts(via, null);
        facts.put("direction", direction);
        return new Notice(MIGRATED, null, facts, "VM " + vmName + (direction.equals("in")
                ? " migrated in from another host" : " migrated out to another host"));
    }

    /** @param from {@code saved state} or {@code snapshot} */
    public static Notice restored(String vmName, String from, String via) {
        Map<String, Object> facts = facts(via, null);
        facts.put("from", from);
        return new Notice(RESTORED, null, facts, "VM " + vmName + " was restored from a " + from);
    }

    public static Notice rebooted(String vmName, String via) {
        return new Notice(REBOOTED, null, facts(via, null), "VM " + vmName + " was reset");
    }

    /** @param device the device's id or alias, else its path */
    public static Notice deviceAdded(String vmName, String device, Map<String, Object> more, String via) {
        Map<String, Object> facts = facts(via, null);
        facts.putAll(more);
        return new Notice(DEVICE_ADDED, device, facts, "Device " + device + " was added to VM " + vmName);
    }

    public static Notice deviceRemoved(String vmName, String device, Map<String, Object> more, String via) {
        Map<String, Object> facts = facts(via, null);
        facts.putAll(more);
        return new Notice(DEVICE_REMOVED, device, facts, "Device " + device + " was removed from VM " + vmName);
    }

    /** @param change what changed: {@code defined}, {@code updated}, {@code renamed}, {@code metadata}, … */
    public static Notice configChanged(String vmName, String change, Map<String, Object> more, String via) {
        Map<String, Object> facts = facts(via, null);
        facts.put("change", change);
        facts.putAll(more);
        return new Notice(CONFIG_CHANGED, null, facts, "The configuration of VM " + vmName + " changed (" + change
                + ")");
    }

    public static Notice jobCompleted(String vmName, Map<String, Object> job, String via) {
        Map<String, Object> facts = facts(via, null);
        facts.putAll(job);
        Object operation = job.getOrDefault("operation", "job");
        return new Notice(JOB_COMPLETED, null, facts, "A " + operation + " job of VM " + vmName + " completed");
    }

    public static Notice blockJob(String vmName, String disk, String type, String status, String via) {
        Map<String, Object> facts = facts(via, null);
        facts.put("job", type);
        facts.put("status", status);
        return new Notice(BLOCK_JOB, disk, facts, "A " + type + " block job on disk " + disk + " of VM " + vmName
                + " " + status);
    }

    /** The name a notice gives a VM: the VM's own, or what the source called a domain it has not matched. */
    public static String nameOf(Vm vm, String fallback) {
        return vm != null ? vm.name() : fallback;
    }

    private static Map<String, Object> facts(String via, String reason) {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("via", via);
        if (reason != null) {
            facts.put("reason", reason);
        }
        return facts;
    }
}
