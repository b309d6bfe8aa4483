package dev.hvwatch.agent.source.tracepoint;

import static dev.hvwatch.agent.source.tracepoint.KvmExitFormatTest.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.source.perf.PerfEventSpec;
import dev.hvwatch.nativebind.Perf;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code iommu:io_page_fault} format of several kernels (resources/tracefs/README.md): where its {@code device}
 * string is, and the events the IOMMU fault source counts with it.
 */
class IommuFaultFormatTest {
    private static final String FORMAT = "events/iommu/io_page_fault/format";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"linux-6.18", "linux-4-layout", "linux-5.10-rt-layout"})
    void eachKernelsFormatHasTheDeviceStringAFilterCountsEachDeviceBy(String kernel) throws Exception {
        Path tracefs = fixture(kernel);
        long id = Long.parseLong(Files.readString(tracefs.resolve("events/iommu/io_page_fault/id")).strip());

        IommuFaultTracepoint tracepoint = IommuFaultTracepoint.load(tracefs);

        assertThat(tracepoint.perDevice()).isTrue();
        assertThat(tracepoint.all()).isEqualTo(new PerfEventSpec("iommu:io_page_fault", Perf.TYPE_TRACEPOINT, id,
                null));
        assertThat(tracepoint.device("0000:3b:00.0")).contains(new PerfEventSpec("iommu:io_page_fault",
                Perf.TYPE_TRACEPOINT, id, "device == \"0000:3b:00.0\""));
        assertThat(tracepoint.device("ff8f0000.gpu")).as("an Arm platform device")
                .map(PerfEventSpec::filter).contains("device == \"ff8f0000.gpu\"");
        assertThat(tracepoint.device("x\" || common_pid != \"0")).as("a name that would rewrite the filter").isEmpty();
    }

    @Test
    void theFieldsMoveWithTheCommonFieldsButKeepTheirTypes() throws Exception {
        TracepointFormat v618 = format("linux-6.18");
        TracepointFormat v4 = format("linux-4-layout");
        TracepointFormat rt = format("linux-5.10-rt-layout");

        assertThat(v618.field("device")).get().isEqualTo(new TracepointFormat.Field("device", "__data_loc char[]", 8,
                4, false));
        assertThat(v4.field("device")).get().isEqualTo(new TracepointFormat.Field("device", "__data_loc char[]", 8,
                4, true));
        assertThat(rt.field("device")).get().isEqualTo(new TracepointFormat.Field("device", "__data_loc char[]", 12,
                4, true));
        assertThat(rt.field("common_migrate_disable")).get().extracting(TracepointFormat.Field::type)
                .isEqualTo("unsigned char");
        for (TracepointFormat f : new TracepointFormat[] {v618, v4, rt}) {
            assertThat(f.field("iova")).get().extracting(TracepointFormat.Field::type).isEqualTo("u64");
            assertThat(f.field("flags")).get().extracting(TracepointFormat.Field::type).isEqualTo("int");
            assertThat(f.field("device").orElseThrow().isString()).isTrue();
            assertThat(f.field("flags").orElseThrow().isString()).isFalse();
        }
    }

    @Test
    void aFormatWhoseDeviceIsNoStringCountsAllFaultsTogether() throws Exception {
        Path tracefs = copy("linux-6.18");
        Path format = tracefs.resolve(FORMAT);
        Files.writeString(format, Files.readString(format).replace("__data_loc char[] device", "u32 device"));

        IommuFaultTracepoint tracepoint = IommuFaultTracepoint.load(tracefs);

        assertThat(tracepoint.perDevice()).isFalse();
        assertThat(tracepoint.device("0000:3b:00.0")).isEmpty();
        assertThat(tracepoint.all().filter()).isNull();
    }

    @Test
    void whatIsMissingIsNamed() throws Exception {
        assertThatThrownBy(() -> IommuFaultTracepoint.load(dir.resolve("nowhere")))
                .hasMessage("tracefs is not mounted at " + dir.resolve("nowhere") + ": mount it with 'mount -t "
                        + "tracefs nodev " + dir.resolve("nowhere") + "' and restart the agent");
        Files.createDirectories(dir.resolve("tracing/events/kvm"));
        assertThatThrownBy(() -> IommuFaultTracepoint.load(dir.resolve("tracing")))
                .hasMessage(dir.resolve("tracing/events/iommu/io_page_fault") + " does not exist: this kernel has "
                        + "no iommu:io_page_fault tracepoint (it comes with the kernel's IOMMU support, "
                        + "CONFIG_IOMMU_API)");

        Path truncated = copy("linux-6.18");
        Path format = truncated.resolve(FORMAT);
        Files.writeString(format, Files.readString(format).replaceAll("print fmt: .*\n", ""));
        assertThatThrownBy(() -> IommuFaultTracepoint.load(truncated)).isInstanceOf(TracepointFormatException.class)
                .hasMessage(format + ": no 'print fmt:' line; the file looks truncated");
    }

    private static TracepointFormat format(String kernel) throws Exception {
        Path file = fixture(kernel).resolve(FORMAT);
        return TracepointFormat.parse(Files.readString(file), file.toString());
    }

    private Path copy(String kernel) throws Exception {
        Path to = dir.resolve(kernel);
        Path from = fixture(kernel);
        for (String name : new String[] {"id", "format"}) {
            Path target = to.resolve("events/iommu/io_page_fault").resolve(name);
            Files.createDirectories(target.getParent());
            Files.copy(from.resolve("events/iommu/io_page_fault").resolve(name), target);
        }
        return to;
    }
}
