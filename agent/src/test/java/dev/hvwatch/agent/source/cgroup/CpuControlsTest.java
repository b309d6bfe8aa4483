package dev.hvwatch.agent.source.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cgroup files of libvirt-managed VMs as the kernel and libvirt lay them out, on fixture trees. */
class CpuControlsTest {
    private static final String V2_SCOPE = "machine.slice/machine-qemu\\x2d3\\x2dweb.scope";

    @TempDir
    Path root;

    private void write(String file, String text) throws IOException {
        Path p = root.resolve(file);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    @Test
    void cgroupV2UnderLibvirtReadsTheMachineScopeAboveTheEmulatorThread() throws IOException {
        write("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
        write(V2_SCOPE + "/cpu.weight", "200\n");
        write(V2_SCOPE + "/cpu.max", "50000 100000\n");
        write(V2_SCOPE + "/cpu.stat", """
                usage_usec 8123456
                user_usec 8000000
                system_usec 123456
                core_sched.force_idle_usec 0
                nr_periods 120
                nr_throttled 7
                throttled_usec 350000
                nr_bursts 0
                burst_usec 0
                """);
        write(V2_SCOPE + "/libvirt/emulator/cpu.weight", "100\n");

        VmCgroup cgroup = VmCgroup.resolve(root, List.of("0::/" + V2_SCOPE + "/libvirt/emulator"), "fixture");
        assertThat(cgroup).isEqualTo(new VmCgroup(root.resolve(V2_SCOPE), true));
        assertThat(CpuControls.read(cgroup)).isEqualTo(new CpuControls(200, 0.5, 120, 7, 0.35));
    }

    @Test
    void cgroupV1SharesAreScaledToV2WeightsAndNoQuotaIsNoLimit() throws IOException {
        String scope = "machine.slice/machine-qemu\\x2d1\\x2dweb.scope";
        write("cpu,cpuacct/" + scope + "/cpu.shares", "512\n");
        write("cpu,cpuacct/" + scope + "/cpu.cfs_quota_us", "-1\n");
        write("cpu,cpuacct/" + scope + "/cpu.cfs_period_us", "100000\n");
        write("cpu,cpuacct/" + scope + "/cpu.stat", """
                nr_periods 0
                nr_throttled 0
                throttled_time 0
                nr_bursts 0
                burst_time 0
                """);
        // A hybrid host: the v2 line names no controller the VM's CPU controls live in.
        write("unified/cgroup.controllers", "\n");
        VmCgroup cgroup = VmCgroup.resolve(root, List.of("12:pids:/" + scope, "4:cpu,cpuacct:/" + scope + "/emulator",
                "1:name=systemd:/" + scope, "0::/" + scope), "fixture");
        assertThat(cgroup).isEqualTo(new VmCgroup(root.resolve("cpu,cpuacct/" + scope), false));
        assertThat(CpuControls.read(cgroup)).isEqualTo(new CpuControls(50, Double.POSITIVE_INFINITY, 0, 0, 0));
    }

    @Test
    void aV1QuotaIsALimitAndThrottledTimeIsInNanoseconds() throws IOException {
        write("cpu/vm/cpu.cfs_quota_us", "150000\n");
        write("cpu/vm/cpu.cfs_period_us", "100000\n");
        write("cpu/vm/cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 2500000000\n");
        CpuControls c = CpuControls.read(VmCgroup.resolve(root, List.of("2:cpu:/vm"), "fixture"));
        assertThat(c).isEqualTo(new CpuControls(100, 1.5, 10, 4, 2.5));
    }

    @Test
    void mistakesNameTheFileOrLine() throws IOException {
        write("cgroup.controllers", "cpu\n");
        write("vm/cpu.max", "lots\n");
        write("vm/cpu.stat", "nr_periods 1\n");
        assertThatThrownBy(() -> CpuControls.read(VmCgroup.resolve(root, List.of("0::/vm"), "fixture")))
                .hasMessageContaining(root.resolve("vm/cpu.max").toString()).hasMessageContaining("'lots'");
        write("vm/cpu.max", "max 100000\n");
        VmCgroup vm = VmCgroup.resolve(root, List.of("0::/vm"), "fixture");
        String stat = root.resolve("vm/cpu.stat").toString();
        write("vm/cpu.stat", "usage_usec 5\nnr_periods 1 2\n");
        assertThatThrownBy(() -> CpuControls.read(vm))
                .hasMessage(stat + ": expected 'KEY VALUE', got 'nr_periods 1 2'");
        write("vm/cpu.stat", "nr_periods\n");
        assertThatThrownBy(() -> CpuControls.read(vm)).hasMessage(stat + ": expected 'KEY VALUE', got 'nr_periods'");
        write("vm/cpu.stat", "nr_throttled 7x\n");
        assertThatThrownBy(() -> CpuControls.read(vm)).hasMessage(stat + ": '7x' is not a number");
        write("vm/cpu.weight", "100\n200\n");
        assertThatThrownBy(() -> CpuControls.read(vm))
                .hasMessage(root.resolve("vm/cpu.weight") + ": expected one number, got 2 lines");
        assertThatThrownBy(() -> VmCgroup.resolve(root, List.of("garbage"), "/proc/42/cgroup"))
                .hasMessage("/proc/42/cgroup: expected 'hierarchy:controllers:path', got 'garbage'");
        Files.delete(root.resolve("cgroup.controllers"));
        assertThatThrownBy(() -> VmCgroup.resolve(root, List.of("0::/vm"), "/proc/42/cgroup"))
                .hasMessageStartingWith("/proc/42/cgroup: no cgroup with the cpu controller");
    }
}
