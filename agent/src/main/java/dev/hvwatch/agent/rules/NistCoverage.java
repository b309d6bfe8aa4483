package dev.hvwatch.agent.rules;

import java.util.ArrayList;
import java.util.List;

/**
 * How far the agent covers each of NIST SP 800-125A Rev. 1's 22 recommendations (HY-SR-1 … HY-SR-20, with 6A, 6B
 * and 6C). The status and its reason are engineering judgement kept here; which rules serve an item comes from the
 * rules' {@code nist} lists, so that an operator's own rules count too.
 */
public final class NistCoverage {
    private NistCoverage() {
    }

    public enum Status {
        COVERED("covered"), PARTLY("partly covered"), NOT_OBSERVABLE("not observable");

        private final String text;

        Status(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** One recommendation: its number, its gist (our paraphrase), the agent's status and why. */
    public record Item(String id, String gist, Status status, String reason) {
    }

    /** An item with the rules in force that name it. */
    public record Line(Item item, List<String> rules) {
    }

    private static final String IMAGES = "Gold, signed, access-controlled and securely transferred images are "
            + "properties of the image pipeline: the host sees a VM's disk files, not where they came from (hashing "
            + "them against an approved list would need that list).";
    private static final String MONITORING = "hvwatch is itself the outside monitor of each VM's CPU, exits, faults "
            + "and posture (this whole pack); it does not introspect guest memory, and whether host security tools "
            + "are kept updated is an operations process.";

    public static final List<Item> ITEMS = List.of(
            new Item("HY-SR-1", "Measured launch and attestation of the hypervisor platform", Status.PARTLY,
                    "Only whether a TPM exists; whether the launch measurements are the expected ones takes a remote "
                            + "verifier."),
            new Item("HY-SR-2", "Hardware-assisted CPU and memory virtualisation; IOMMU for DMA", Status.COVERED,
                    "Each VM runs under KVM, not TCG; EPT/NPT on; an IOMMU translates device DMA; CPU flaws, SMT and "
                            + "nx_huge_pages as limits of the hardware isolation."),
            new Item("HY-SR-3", "Per-VM guaranteed memory; no memory overcommit", Status.PARTLY,
                    "Guest RAM against host RAM, KSM and swapped guest memory; per-VM reservations and caps "
                            + "(memory.min, memory.max) are not checked."),
            new Item("HY-SR-4", "No provisioning beyond physical CPUs", Status.COVERED,
                    "vCPUs against host CPUs in total and per VM, pinning shared across owners, and observed host "
                            + "CPU contention."),
            new Item("HY-SR-5", "Per-VM CPU floor, ceiling and priority", Status.COVERED,
                    "CPU ceilings and weights per VM, pinning shared across owners, and observed starvation, unfair "
                            + "shares (naming the VMs and host processes that took the CPU, and a VM that slows "
                            + "several others) and exit storms."),
            new Item("HY-SR-6A", "Emulate only simple devices", Status.PARTLY,
                    "QEMU's user, seccomp filter and legacy devices on its command line; devices hot-plugged later are "
                            + "logged, not judged."),
            new Item("HY-SR-6B", "Isolated para-virtual back ends; IOMMU DMA remapping", Status.PARTLY,
                    "The IOMMU is checked; how para-virtual back ends (vhost) are isolated is not."),
            new Item("HY-SR-6C", "Passthrough and SR-IOV only with IOMMU remapping", Status.COVERED,
                    "Each passthrough device's IOMMU group wholly owned by its VM, VFIO unsafe modes, ACS override, "
                            + "interrupt remapping, and IOMMU faults as they happen."),
            new Item("HY-SR-7", "Per-VM device access control", Status.PARTLY,
                    "A MAC label of its own for each QEMU, and no QEMU as root; device cgroup allow-lists and open "
                            + "files against assigned devices are not checked."),
            new Item("HY-SR-8", "Per-VM network and disk bandwidth limits", Status.PARTLY,
                    "Disk limits (QEMU throttling, libvirt iotune, cgroup io.max), libvirt interface bandwidth, and "
                            + "observed I/O and exit storms; tc limits on tap devices of VMs without libvirt are not "
                            + "read."),
            new Item("HY-SR-9", "VM image lifecycle (HY-SR-9 to 12)", Status.NOT_OBSERVABLE, IMAGES),
            new Item("HY-SR-10", "VM image lifecycle (HY-SR-9 to 12)", Status.NOT_OBSERVABLE, IMAGES),
            new Item("HY-SR-11", "VM image lifecycle (HY-SR-9 to 12)", Status.NOT_OBSERVABLE, IMAGES),
            new Item("HY-SR-12", "VM image lifecycle (HY-SR-9 to 12)", Status.NOT_OBSERVABLE, IMAGES),
            new Item("HY-SR-13", "Authenticated, encrypted live migration on a dedicated network", Status.PARTLY,
                    "Each live migration in or out is alerted (libvirt's domain events) and migration listeners on "
                            + "all addresses are flagged; whether migration is authenticated and encrypted is the "
                            + "management layer's setting."),
            new Item("HY-SR-14", "VM monitoring from outside (HY-SR-14 to 16)", Status.PARTLY, MONITORING),
            new Item("HY-SR-15", "VM monitoring from outside (HY-SR-14 to 16)", Status.PARTLY, MONITORING),
            new Item("HY-SR-16", "VM monitoring from outside (HY-SR-14 to 16)", Status.PARTLY, MONITORING),
            new Item("HY-SR-17", "Log and alert on every VM configuration change", Status.COVERED,
                    "VM start, stop, crash, pause, resume, reset, migration, restore, device hot-plug and removal, and "
                            + "configuration and metadata changes, from libvirt's domain events or QMP's; changes of a "
                            + "running VM's libvirt configuration."),
            new Item("HY-SR-18", "Fine-grained access control for VM administration", Status.NOT_OBSERVABLE,
                    "Who may administer VMs is libvirt's or the management system's access policy, which nothing "
                            + "running on the host shows."),
            new Item("HY-SR-19", "Central management enforcing a gold configuration", Status.PARTLY,
                    "Drift from the baseline the operator declares (kernel command line, kvm parameters, sysctls, "
                            + "mitigations); enforcing it is the management system's job."),
            new Item("HY-SR-20", "Management interfaces only on a dedicated network", Status.PARTLY,
                    "VNC, SPICE, QMP, migration and libvirt listeners on all addresses; which address is the "
                            + "management network's, the host cannot tell."));

    /** Every item, with the rules in force that name it, in the pack's order. */
    public static List<Line> of(RulePack pack) {
        List<Line> lines = new ArrayList<>();
        for (Item item : ITEMS) {
            lines.add(new Line(item, pack.specs().stream().filter(r -> r.nist().contains(item.id()))
                    .map(RuleSpec::id).toList()));
        }
        return lines;
    }
}
