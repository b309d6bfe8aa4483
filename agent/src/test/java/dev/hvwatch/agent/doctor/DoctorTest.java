package dev.hvwatch.agent.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.source.discovery.ProcConnectorEventsTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import dev.hvwatch.testkit.Libvirtd;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DoctorTest {
    @TempDir
    Path dir;

    private static Map<String, Finding> byCapability(List<Finding> findings) {
        return findings.stream().collect(Collectors.toMap(Finding::capability, Function.identity(), (a, b) -> a));
    }

    @Test
    void aBareHostWithNothingMountedSaysWhatIsMissingAndHowToFixIt() throws Exception {
        Path sys = Files.createDirectories(dir.resolve("sys"));
        Path dev = Files.createDirectories(dir.resolve("dev"));
        Files.createDirectories(dir.resolve("proc/1/fd"));
        AgentConfig config = new AgentConfig(null, new AgentConfig.Sampling(null, dir.resolve("proc")), null, null,
                null, null, null, new AgentConfig.KernelLog(true, dev.resolve("kmsg")), null, null, null, null, null, null, null);

        List<Finding> findings = new Doctor(config, sys, dev, dir).examine();
        Map<String, Finding> f = byCapability(findings);

        assertThat(f.get("kvm").status()).isEqualTo(Finding.Status.DEGRADED);
        assertThat(f.get("kvm").fix()).contains("kvm_intel");
        assertThat(f.get("proc").status()).isEqualTo(Finding.Status.OK);
        assertThat(f.get("schedstat").status()).isEqualTo(Finding.Status.DEGRADED);
        assertThat(f.get("kmsg").fix()).contains("CAP_SYSLOG");
        assertThat(f.get("tracepoints").fix()).isEqualTo("mount -t tracefs nodev " + sys.resolve("kernel/tracing"));
        assertThat(f.get("iommu-faults").status()).isEqualTo(Finding.Status.DEGRADED);
        assertThat(f.get("iommu-faults").detail()).startsWith("cannot count IOMMU faults in the kernel: tracefs is not "
                + "mounted at " + sys.resolve("kernel/tracing")).endsWith("only the kernel log's rate-limited fault "
                + "lines are counted");
        assertThat(f.get("iommu-faults").fix()).isEqualTo("mount -t tracefs nodev " + sys.resolve("kernel/tracing"));
        assertThat(f.get("perf-hardware").detail()).startsWith("unsupported");
        assertThat(f.get("debugfs").fix()).startsWith("mount -t debugfs");
        assertThat(f.get("collector").status()).isEqualTo(Finding.Status.DEGRADED);
        assertThat(Doctor.usable(findings)).as("discovery still works: nothing blocks").isTrue();
    }

    @Test
    void lockdownAndAPmuAreRecognised() throws Exception {
        Path sys = dir.resolve("sys");
        Files.createDirectories(sys.resolve("kernel/tracing/events/kvm/kvm_exit"));
        Files.createDirectories(sys.resolve("bus/event_source/devices/cpu"));
        Files.createDirectories(sys.resolve("kernel/security"));
        Files.writeString(sys.resolve("kernel/security/lockdown"), "none [integrity] confidentiality\n");
        Files.createDirectories(dir.resolve("proc/1/fd"));
        AgentConfig config = new AgentConfig(null, new AgentConfig.Sampling(null, dir.resolve("proc")), null, null,
                null, null, null, null, null, null, null, null, null, null, null);

        Map<String, Finding> f = byCapability(new Doctor(config, sys, dir, dir).examine());

        assertThat(f.get("tracepoints").status()).isEqualTo(Finding.Status.OK);
        assertThat(f.get("iommu-faults").detail()).contains("this kernel has no iommu:io_page_fault tracepoint");
        assertThat(f.get("iommu-faults").fix()).contains("CONFIG_IOMMU_API");
        assertThat(f.get("perf-hardware").status()).isEqualTo(Finding.Status.OK);
        assertThat(f.get("debugfs").detail()).contains("kernel lockdown is on (none [integrity] confidentiality)");
    }

    @Test
    void unreadableCertificatesBlockShipping() throws Exception {
        Files.createDirectories(dir.resolve("proc/1/fd"));
        AgentConfig config = new AgentConfig(null, new AgentConfig.Sampling(null, dir.resolve("proc")), null, null,
                null, new AgentConfig.Collector(null, null, dir.resolve("agent.pem"), dir.resolve("agent-key.pem"),
                dir.resolve("ca.pem"), null), null, null, null, null, null, null, null, null, null);
        List<Finding> findings = new Doctor(config, dir, dir, dir).examine();
        assertThat(byCapability(findings).get("collector").render()).startsWith("[FAIL] collector: cannot read "
                + dir.resolve("agent.pem"));
        assertThat(Doctor.usable(findings)).isFalse();
    }

    @Test
    void libvirtIsUsedWhereItRunsAndSaysWhyNotWhereItCannotBe() throws Exception {
        Files.createDirectories(dir.resolve("proc/1/fd"));
        Map<String, Finding> none = byCapability(new Doctor(config(new AgentConfig.Libvirt(null, null)), dir, dir, dir)
                .examine());
        assertThat(none.get("libvirt").render()).as("no daemon socket under the run directory")
                .isEqualTo("[ ok ] libvirt: not used: no libvirt on this host (its library or daemon socket is "
                        + "missing); plain QEMU guests only");

        Finding refused = byCapability(new Doctor(config(new AgentConfig.Libvirt("true",
                "qemu+unix:///system?socket=/nonexistent/libvirt-sock-ro")), dir, dir, dir).examine()).get("libvirt");
        assertThat(refused.status()).isEqualTo(Finding.Status.DEGRADED);
        assertThat(refused.detail()).contains("cannot connect read-only").contains("/nonexistent/libvirt-sock-ro");
        assertThat(refused.fix()).contains("start libvirtd");
    }

    @Test
    @Tag("kvm")
    void theRealLibvirtdIsReachableWithKvmStatistics() throws Exception {
        Libvirtd.require();
        Finding f = byCapability(Doctor.forThisHost(config(new AgentConfig.Libvirt("true", null))).examine())
                .get("libvirt");
        assertThat(f.render()).startsWith("[ ok ] libvirt: connected read-only to qemu:///system: libvirt "
                + Libvirtd.libraryVersion() + ", QEMU ").endsWith("KVM statistics, domain events and tenants of its VMs");
    }

    private AgentConfig config(AgentConfig.Libvirt libvirt) {
        return new AgentConfig(null, new AgentConfig.Sampling(null, dir.resolve("proc")), null, null, null, null, null,
                null, null, null, null, null, null, libvirt, null);
    }

    @Test
    void thisHostIsUsable() throws Exception {
        List<Finding> findings = Doctor.forThisHost(AgentConfig.defaults()).examine();
        assertThat(byCapability(findings)).containsKeys("kvm", "proc", "guests", "schedstat", "kmsg", "tracepoints",
                "iommu-faults", "perf-hardware", "debugfs", "collector");
        if (Files.exists(Path.of("/dev/kvm")) && Files.isReadable(Path.of("/proc/1/fd"))) {
            assertThat(Doctor.usable(findings)).isTrue();
        }
        Finding events = byCapability(findings).get("process-events");
        assertThat(events.status()).as(events.detail()).isEqualTo(ProcConnectorEventsTest.receivesProcessEvents()
                ? Finding.Status.OK : Finding.Status.DEGRADED);
    }

    @Test
    void aFixtureProcRootIsNotFollowedByProcessEvents() throws Exception {
        Finding f = byCapability(new Doctor(config(null), dir, dir, dir).examine()).get("process-events");
        assertThat(f.status()).isEqualTo(Finding.Status.OK);
        assertThat(f.detail()).startsWith("not used").contains(dir.resolve("proc").toString());
    }
}
