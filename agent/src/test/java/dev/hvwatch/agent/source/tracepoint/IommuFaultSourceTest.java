package dev.hvwatch.agent.source.tracepoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.IommuFaults;
import dev.hvwatch.agent.source.SampleCapture;
import dev.hvwatch.agent.source.SourceRig;
import dev.hvwatch.testkit.HostTool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IOMMU fault source on this machine's kernel, which has the {@code iommu:io_page_fault} tracepoint but no IOMMU:
 * the source opens the tracepoint on every CPU, has the kernel take a filter per device of the (fixture) IOMMU groups
 * and reads the groups, and every count stays 0, because nothing here ever reports an IOMMU fault. That the counts
 * follow the filters when the tracepoint fires is shown with a tracepoint that does fire, in CpuCounterGroupsTest.
 */
class IommuFaultSourceTest {
    private static final Path TRACEFS = Path.of("/sys/kernel/tracing");

    @TempDir
    Path dir;

    private SourceRig rig;
    private IommuFaultSource source;

    @AfterEach
    void close() {
        if (source != null) {
            source.close();
        }
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void opensTheTracepointOnEveryCpuWithAFilterPerDeviceAndReadsZeroFaults() throws Exception {
        HostTool.requireOnCi(Files.isReadable(TRACEFS.resolve("events/iommu/io_page_fault/id")),
                "tracefs with the iommu:io_page_fault tracepoint at " + TRACEFS);
        int cpus = CpuList.parse(Files.readString(Path.of("/sys/devices/system/cpu/online"))).count();
        Path sys = sysWithOnlineCpus();
        device(sys, 12, "0000:3b:00.0", "vfio-pci");
        device(sys, 12, "0000:3b:00.1", "vfio-pci");
        device(sys, 3, "0000:00:14.0", "xhci_hcd");
        rig = new SourceRig();
        source = new IommuFaultSource(TRACEFS, sys, rig.ring);

        long first = rig.roundAt(1_000_000_000L, source);

        assertThat(faults(first)).as("no IOMMU on this machine: the tracepoint never fires").isEqualTo(Map.of(
                "0000:3b:00.0", 0.0, "0000:3b:00.1", 0.0, "0000:00:14.0", 0.0, "other", 0.0));
        assertThat(source.descriptors()).as("every fault and each device's, on each CPU").isEqualTo(cpus * 4);
        assertThat(source.errors()).as("the kernel took every device filter and every group read").isZero();

        deleteTree(sys.resolve("kernel/iommu_groups/3"));
        assertThat(faults(rig.roundAt(2_000_000_000L, source))).as("the groups are listed every 10 s")
                .containsKey("0000:00:14.0");
        assertThat(source.descriptors()).isEqualTo(cpus * 4);
        long second = rig.roundAt(11_000_000_000L, source);

        assertThat(faults(second)).as("a device that left keeps its series at its count").containsOnlyKeys(
                "0000:3b:00.0", "0000:3b:00.1", "0000:00:14.0", "other").containsValues(0.0);
        assertThat(source.descriptors()).isEqualTo(cpus * 3);
        assertThat(source.errors()).isZero();
        assertThat(IommuFaultSource.probe(TRACEFS, sys)).isEqualTo("iommu:io_page_fault counted by the kernel on "
                + cpus + " CPUs, per device by a filter on its device field");
    }

    @Test
    void withoutTheTracepointTheSourceIsDownWithTheReasonAndDoesNotTryAgain() throws Exception {
        Path tracefs = Files.createDirectories(dir.resolve("tracing/events/kvm"));
        rig = new SourceRig();
        source = new IommuFaultSource(tracefs.getParent().getParent(), sysWithOnlineCpus(), rig.ring);
        String reason = dir.resolve("tracing/events/iommu/io_page_fault") + " does not exist: this kernel has no "
                + "iommu:io_page_fault tracepoint (it comes with the kernel's IOMMU support, CONFIG_IOMMU_API)";

        assertThatThrownBy(() -> source.sample(1)).isInstanceOf(IOException.class).hasMessage(reason);
        assertThatThrownBy(() -> IommuFaultSource.probe(dir.resolve("tracing"), dir.resolve("sys")))
                .as("what the doctor says").hasMessage(reason);
        Path event = Files.createDirectories(dir.resolve("tracing/events/iommu/io_page_fault"));
        for (String file : new String[] {"id", "format"}) {
            Files.copy(KvmExitFormatTest.fixture("linux-6.18").resolve("events/iommu/io_page_fault/" + file),
                    event.resolve(file));
        }
        assertThatThrownBy(() -> source.sample(2)).as("set up once: the tracepoint that appeared later is not read")
                .hasMessage(reason);
        assertThat(source.descriptors()).isZero();
    }

    @Test
    void passthroughGroupsComeFirst() throws Exception {
        Path sys = dir.resolve("sys");
        device(sys, 3, "0000:00:14.0", "xhci_hcd");
        device(sys, 12, "0000:3b:00.1", "vfio-pci");
        device(sys, 12, "0000:3b:00.0", "vfio-pci");
        device(sys, 12, "0000:3a:00.0", null);
        device(sys, 40, "0000:5e:00.0", "pci-stub");
        device(sys, 7, "0000:00:1f.6", "e1000e");

        assertThat(IommuGroupDevices.list(sys)).containsExactly("0000:3a:00.0", "0000:3b:00.0", "0000:3b:00.1",
                "0000:5e:00.0", "0000:00:14.0", "0000:00:1f.6");
        assertThat(IommuGroupDevices.list(dir.resolve("no-sys"))).isEmpty();
    }

    /** The values of the round's hvwatch_iommu_faults_total series, by device. */
    private Map<String, Double> faults(long round) {
        rig.capture.awaitRound(round);
        Map<String, Double> byDevice = new TreeMap<>();
        for (SampleCapture.Sample s : rig.capture.all()) {
            if (s.timeNanos() == round && s.series().name().equals(IommuFaults.METRIC)) {
                assertThat(s.pid()).as("a host-wide series").isEqualTo(-1);
                assertThat(s.series().labels()).containsEntry("source", "tracepoint").containsOnlyKeys("device",
                        "source");
                byDevice.put(s.series().labels().get("device"), s.value());
            }
        }
        return byDevice;
    }

    private Path sysWithOnlineCpus() throws IOException {
        Path sys = dir.resolve("sys");
        Path online = sys.resolve("devices/system/cpu/online");
        Files.createDirectories(online.getParent());
        Files.copy(Path.of("/sys/devices/system/cpu/online"), online, StandardCopyOption.REPLACE_EXISTING);
        return sys;
    }

    /** A device in an IOMMU group, as sysfs shows it: the group's entry and the device's driver link. */
    private static void device(Path sys, int group, String name, String driver) throws IOException {
        Path device = sys.resolve("kernel/iommu_groups/" + group + "/devices/" + name);
        Files.createDirectories(device);
        if (driver != null) {
            Files.createSymbolicLink(device.resolve("driver"), Path.of("../../../../bus/pci/drivers/" + driver));
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
