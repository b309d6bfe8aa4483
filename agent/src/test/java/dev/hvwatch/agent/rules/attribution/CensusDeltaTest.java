package dev.hvwatch.agent.rules.attribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.census.CpuCensus;
import dev.hvwatch.agent.source.census.CpuCensus.ProcessTime;
import dev.hvwatch.agent.source.census.CpuCensus.VcpuTime;
import dev.hvwatch.agent.vm.Tenancy;
import dev.hvwatch.agent.vm.Tenant;
import dev.hvwatch.agent.vm.Vm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * Who took a victim's CPU, on censuses whose figures are worked out by hand in each test's comment. Times are in
 * seconds; every census pair spans 10 s.
 */
class CensusDeltaTest {
    private static final long S = 1_000_000_000L;
    private static final Offset<Double> EXACT = within(1e-9);

    private static final Vm VICTIM = vm(100, "victim");
    private static final Vm A = vm(200, "a");
    private static final Vm B = vm(300, "b");
    private static final Vm C = vm(400, "c");

    /** Builds the second census of a pair; the first has every cumulative time at 0. */
    private static final class Host {
        final long[] busy;
        final List<VcpuTime> vcpus = new ArrayList<>();
        final List<ProcessTime> processes = new ArrayList<>();

        Host(int cpus) {
            busy = new long[cpus];
        }

        Host busy(int cpu, double seconds) {
            busy[cpu] = (long) (seconds * S);
            return this;
        }

        Host vcpu(Vm vm, int vcpu, String cpus, double run, double wait) {
            vcpus.add(new VcpuTime(vm, vcpu, vm.pid() * 10 + vcpu, (long) (run * S), (long) (wait * S),
                    CpuList.parse(cpus)));
            return this;
        }

        Host process(long pid, String name, Vm vm, String cpus, double seconds) {
            processes.add(new ProcessTime(pid, 1, name, (long) (seconds * S), vm, CpuList.parse(cpus)));
            return this;
        }

        CensusDelta delta() {
            List<VcpuTime> zeroVcpus = vcpus.stream()
                    .map(v -> new VcpuTime(v.vm(), v.vcpu(), v.tid(), 0, 0, v.allowed())).toList();
            List<ProcessTime> zeroProcesses = processes.stream()
                    .map(p -> new ProcessTime(p.pid(), p.startTicks(), p.name(), 0, p.vm(), p.allowed())).toList();
            return CensusDelta.between(new CpuCensus(0, new long[busy.length], zeroVcpus, zeroProcesses),
                    new CpuCensus(10 * S, busy, vcpus, processes));
        }
    }

    private static Explanation explain(CensusDelta d, Vm vm) {
        return Explanation.of(vm, d.vcpus.stream().filter(t -> t.vm() == vm).map(d::split).toList());
    }

    private static double share(Explanation x, Vm vm) {
        return x.antagonists().stream().filter(a -> a.vm() == vm).mapToDouble(Explanation.Antagonist::share)
                .findFirst().orElse(0);
    }

    /**
     * Exact with pinned threads. CPU 0 over 10 s: the victim ran 0.5 s and waited 9.5 s; A ran 6, B 2, the host's
     * stress 1, and 0.5 s went to nothing any census names (interrupts, short-lived processes): busy 10 s. C ran 10 s
     * on CPU 1. Others on CPU 0: 10 - 0.5 = 9.5 s, of which A 6/9.5, B 2/9.5, host (1 + 0.5)/9.5.
     */
    @Test
    void pinnedCompetitorsAreExactAndAVmOnAnotherCpuIsNeverNamed() {
        CensusDelta d = new Host(2).busy(0, 10).busy(1, 10)
                .vcpu(VICTIM, 0, "0", 0.5, 9.5).vcpu(A, 0, "0", 6, 0).vcpu(B, 0, "0", 2, 0).vcpu(C, 0, "1", 10, 0)
                .process(9, "stress", null, "0", 1).delta();
        Explanation x = explain(d, VICTIM);
        assertThat(x.antagonists()).extracting(Explanation.Antagonist::vm).containsExactly(A, B);
        assertThat(share(x, A)).isCloseTo(6 / 9.5, EXACT);
        assertThat(share(x, B)).isCloseTo(2 / 9.5, EXACT);
        assertThat(x.hostShare()).isCloseTo(1.5 / 9.5, EXACT);
        assertThat(x.waitSeconds()).isCloseTo(9.5, EXACT);
        assertThat(x.evidence()).containsEntry("other_host_share", 0.1579)
                .containsEntry("other_host_processes", List.of("stress"));
        assertThat(x.clause()).isEqualTo("; the CPU went to VM a (63%), VM b (21%) and host processes (16%)");
    }

    /** A VM with more vCPUs than the CPUs they may use waits for itself: the message says so, not "VM victim". */
    @Test
    void aVmsOwnOtherVcpusAreNamedAsSuch() {
        CensusDelta d = new Host(1).busy(0, 10).vcpu(VICTIM, 0, "0", 4, 6).vcpu(VICTIM, 1, "0", 4, 0)
                .process(9, "stress", null, "0", 2).delta();
        Explanation x = explain(d, VICTIM);
        assertThat(x.antagonists()).extracting(Explanation.Antagonist::vm).containsExactly(VICTIM);
        assertThat(x.clause()).isEqualTo("; the CPU went to its own other vCPUs (67%) and host processes (33%)");
    }

    /**
     * Partial overlap, an estimate. 4 CPUs; the victim may run on {0,1} (ran 1 s, waited 9 s). A may run anywhere
     * and ran 8 s: 2 of its 4 CPUs are the victim's, so 8 × 2/4 = 4 s count. B on {1,2} ran 6 s: 6 × 1/2 = 3 s. D on
     * {2,3} ran 10 s: 0. CPUs 0 and 1 were busy 5 s each: host = 10 - 1 - (4 + 3) = 2 s. Total 9 s: A 4/9, B 3/9,
     * host 2/9.
     */
    @Test
    void partlyOverlappingAffinitiesCountByTheOverlap() {
        Vm d4 = vm(500, "d");
        CensusDelta d = new Host(4).busy(0, 5).busy(1, 5).busy(2, 10).busy(3, 10)
                .vcpu(VICTIM, 0, "0-1", 1, 9).vcpu(A, 0, "0-3", 8, 0).vcpu(B, 0, "1-2", 6, 0)
                .vcpu(d4, 0, "2-3", 10, 0).delta();
        Explanation x = explain(d, VICTIM);
        assertThat(share(x, A)).isCloseTo(4 / 9.0, EXACT);
        assertThat(share(x, B)).isCloseTo(3 / 9.0, EXACT);
        assertThat(share(x, d4)).isZero();
        assertThat(x.hostShare()).isCloseTo(2 / 9.0, EXACT);
        List<Map<String, Object>> antagonists = antagonists(x);
        assertThat(antagonists).extracting(e -> e.get("cpus")).containsExactly("0-3", "1-2");
        assertThat(antagonists).extracting(e -> e.get("share_of_wait")).containsExactly(0.4444, 0.3333);
    }

    /**
     * Estimates that overshoot: the victim on {0} (ran 1 s, waited 9 s), A on {0,1} ran 18 s, counted as 9 s; but
     * CPU 0 was busy only 9 s, so A really ran at most 8 s there and the host nothing: the host's share clamps at 0,
     * A's is the whole, not more.
     */
    @Test
    void aHostShareNeverGoesNegativeWhenEstimatesOvershoot() {
        CensusDelta d = new Host(2).busy(0, 9).busy(1, 10).vcpu(VICTIM, 0, "0", 1, 9).vcpu(A, 0, "0-1", 18, 0)
                .delta();
        Explanation x = explain(d, VICTIM);
        assertThat(x.hostShare()).isZero();
        assertThat(share(x, A)).isCloseTo(1.0, EXACT);
    }

    /**
     * A VM's shares weigh its vCPUs by their waits. vCPU 0 on CPU 0 waited 6 s while A ran 6 s there (A: 100%);
     * vCPU 1 on CPU 1 waited 2 s while B ran 3 s and the host 1 s (B 75%, host 25%). Together: A 6/8, B 2/8 × 0.75,
     * host 2/8 × 0.25.
     */
    @Test
    void aVmsVcpusCountByHowLongEachWaited() {
        CensusDelta d = new Host(2).busy(0, 7).busy(1, 6)
                .vcpu(VICTIM, 0, "0", 1, 6).vcpu(VICTIM, 1, "1", 2, 2).vcpu(A, 0, "0", 6, 0).vcpu(B, 0, "1", 3, 0)
                .delta();
        Explanation x = explain(d, VICTIM);
        assertThat(share(x, A)).isCloseTo(0.75, EXACT);
        assertThat(share(x, B)).isCloseTo(0.1875, EXACT);
        assertThat(x.hostShare()).isCloseTo(0.0625, EXACT);
    }

    /**
     * QEMU's own threads and vhost count for their VM. A's vCPU ran 6 s of its QEMU's 7.5 s: 1.5 s is QEMU's own,
     * on {0}; A's vhost thread ran 0.5 s on {0}: A took 8 s. The victim's second vCPU on the same CPU (0.5 s) is the
     * victim VM's own competitor. CPU 0 was busy 10 s: 10 - 0.5 (the victim's vCPU 0) - 8.5 = 1 s was the host's.
     */
    @Test
    void qemuThreadsAndVhostCountForTheirVm() {
        CensusDelta d = new Host(1).busy(0, 10)
                .vcpu(VICTIM, 0, "0", 0.5, 9.5).vcpu(VICTIM, 1, "0", 0.5, 0).vcpu(A, 0, "0", 6, 0)
                .process(200, "qemu-system-x86", A, "0", 7.5).process(201, "vhost-200", A, "0", 0.5)
                .process(100, "qemu-system-x86", VICTIM, "0", 1).delta();
        CensusDelta.Split s = d.split(d.vcpus.get(0));
        assertThat(s.byVm().get(A).nanos).isCloseTo(8 * S, within(1.0));
        assertThat(s.byVm().get(VICTIM).nanos).as("its other vCPU").isCloseTo(0.5 * S, within(1.0));
        assertThat(s.host()).isCloseTo(1 * S, within(1.0));
    }

    /**
     * An antagonist's cpus are where its vCPUs may run (vcpupin) even when its QEMU floats: A's vCPU on {0} ran 6 s,
     * its QEMU (on {0,1}) 2 s more, half of which counts. B's vCPU idled and only its vhost thread, on {0}, ran.
     */
    @Test
    void anAntagonistsCpusAreItsVcpusWhereTheyTookPartElseItsOtherThreads() {
        CensusDelta d = new Host(2).busy(0, 10).busy(1, 2)
                .vcpu(VICTIM, 0, "0", 0.5, 9.5).vcpu(A, 0, "0", 6, 0).vcpu(B, 0, "0-1", 0, 0)
                .process(200, "qemu-system-x86", A, "0-1", 8).process(301, "vhost-300", B, "0", 1).delta();
        Explanation x = explain(d, VICTIM);
        assertThat(antagonists(x)).extracting(e -> e.get("cpus")).containsExactly("0", "0");
        assertThat(share(x, A)).isCloseTo(7 / 9.5, EXACT);
        assertThat(share(x, B)).isCloseTo(1 / 9.5, EXACT);
    }

    /** The evidence's shape: a VM as alerts name it, tenant included; at most 5, none under 1%; clause naming two. */
    @Test
    void evidenceNamesVmsAsAlertsDoAndStaysBounded() {
        Vm nova = new Vm(600, 1, "instance-0000a1f3", "9b33ffbb-3cdb-43fe-8212-fc8c5d18025b", 1, Optional.empty(),
                true, List.of(), Vm.LIBVIRT, new Tenancy());
        nova.tenancy().set(new Tenant("web-frontend", "shop", "p-1", "alice", "u-1", "m1.small", null));
        Host h = new Host(1).busy(0, 10).vcpu(VICTIM, 0, "0", 0, 10).vcpu(nova, 0, "0", 3, 0);
        for (int i = 0; i < 6; i++) {
            h.vcpu(vm(700 + i, "small-" + i), 0, "0", 1, 0);
        }
        h.vcpu(vm(800, "tiny"), 0, "0", 0.05, 0);
        Explanation x = explain(h.delta(), VICTIM);
        List<Map<String, Object>> antagonists = antagonists(x);
        assertThat(antagonists).hasSize(Explanation.MAX_ANTAGONISTS);
        assertThat(antagonists.get(0).get("vm")).isEqualTo(Map.of("name", "instance-0000a1f3",
                "uuid", "9b33ffbb-3cdb-43fe-8212-fc8c5d18025b", "pid", 600, "instance_name", "web-frontend",
                "project", "shop", "project_id", "p-1", "user", "alice", "flavor", "m1.small", "manager", "libvirt"));
        assertThat(antagonists.get(0)).containsEntry("cpus", "0").containsKey("share_of_wait");
        assertThat(x.antagonists()).extracting(a -> a.vm().name()).contains("tiny");
        assertThat(x.clause()).startsWith("; the CPU went to VM web-frontend (").contains("VM small-0 (")
                .contains(", 5 other VMs (50%) and host processes (");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> antagonists(Explanation x) {
        return (List<Map<String, Object>>) x.evidence().get("antagonists");
    }

    private static Vm vm(long pid, String name) {
        return new Vm(pid, 1, name, "", 1, Optional.empty(), true, List.of());
    }
}
