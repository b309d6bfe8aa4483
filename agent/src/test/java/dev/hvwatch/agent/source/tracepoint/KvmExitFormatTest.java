package dev.hvwatch.agent.source.tracepoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.source.perf.PerfEventSpec;
import dev.hvwatch.nativebind.Perf;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exit reason tables and tracepoint ids, read from tracefs fixture trees (see resources/tracefs/README.md). */
class KvmExitFormatTest {
    @TempDir
    Path dir;

    @Test
    void vmxReasonsOfLinux618() throws Exception {
        ExitReasonTable table = table("linux-6.18", Isa.VMX);

        assertThat(table.field()).isEqualTo("exit_reason");
        assertThat(table.reasons()).hasSize(65);
        assertThat(table.reasons().get(0)).isEqualTo(reason("EXCEPTION_NMI", 0));
        assertThat(codes(table)).containsEntry("HLT", 12L).containsEntry("IO_INSTRUCTION", 30L)
                .containsEntry("EPT_VIOLATION", 48L).containsEntry("MSR_WRITE_IMM", 85L)
                .doesNotContainKey("FAILED_VMENTRY"); // a flag printed after the reason, not a reason
        assertThat(table.reasons().get(0).filter(table.field())).isEqualTo("exit_reason == 0");
    }

    @Test
    void svmReasonsOfLinux618() throws Exception {
        ExitReasonTable table = table("linux-6.18", Isa.SVM);

        assertThat(table.reasons()).hasSize(110);
        assertThat(table.reasons().get(0)).isEqualTo(reason("read_cr0", 0));
        assertThat(codes(table)).containsEntry("DE excp", 0x40L).containsEntry("PF excp", 0x4eL)
                .containsEntry("io", 0x7bL).containsEntry("npf", 0x400L)
                .containsEntry("vmgexit_mmio_read", 0x8000_0001L)
                .containsEntry("invalid_guest_state", 0xffff_ffffL); // -1 in an unsigned 4-byte field
        assertThat(reasonNamed(table, "invalid_guest_state").filter(table.field()))
                .isEqualTo("exit_reason == 4294967295");
    }

    @Test
    void bothTablesInTheLayoutOfLinux4() throws Exception {
        ExitReasonTable vmx = table("linux-4-layout", Isa.VMX);
        ExitReasonTable svm = table("linux-4-layout", Isa.SVM);

        assertThat(vmx.reasons()).hasSize(55);
        assertThat(codes(vmx)).containsEntry("PENDING_INTERRUPT", 7L).containsEntry("XRSTORS", 64L);
        assertThat(svm.reasons()).hasSize(82);
        assertThat(codes(svm)).containsEntry("hypercall", 0x81L).containsEntry("invalid_guest_state", 0xffff_ffffL);
    }

    @Test
    void catalogueHasOneFilteredKvmExitEventPerReasonThenTheTracepoints() throws Exception {
        KvmTracepoints vmx = KvmTracepoints.load(new Tracefs(fixture("linux-6.18"), "kvm"), Isa.VMX);

        assertThat(vmx.reasons()).hasSize(65);
        assertThat(vmx.tracepoints()).containsExactlyElementsOf(KvmTracepoints.COUNTED);
        assertThat(vmx.events()).hasSize(65 + 13);
        assertThat(vmx.events().get(30)).isEqualTo(
                new PerfEventSpec("kvm:kvm_exit", Perf.TYPE_TRACEPOINT, 103, "exit_reason == 34"));
        assertThat(vmx.events().get(65)).isEqualTo(new PerfEventSpec("kvm:kvm_exit", Perf.TYPE_TRACEPOINT, 103, null));
        assertThat(vmx.events().get(67)).isEqualTo(new PerfEventSpec("kvm:kvm_pio", Perf.TYPE_TRACEPOINT, 110, null));
        assertThat(vmx.newSeries(30).labels()).isEqualTo(Map.of("reason", "MSR_LOAD_FAIL"));
        assertThat(vmx.newSeries(30).name()).isEqualTo("hvwatch.vm.exits");
        assertThat(vmx.newSeries(67).labels()).isEqualTo(Map.of("tracepoint", "kvm_pio"));
        assertThat(vmx.newSeries(67).name()).isEqualTo("hvwatch.kvm.tracepoint.events");
    }

    @Test
    void withoutAKnownIsaOnlyTheTracepointsAreCountedAndThoseAKernelLacksAreLeftOut() throws Exception {
        KvmTracepoints unknown = KvmTracepoints.load(new Tracefs(fixture("linux-6.18"), "kvm"), Isa.UNKNOWN);
        assertThat(unknown.reasons()).isEmpty();
        assertThat(unknown.events()).hasSize(13);

        KvmTracepoints old = KvmTracepoints.load(new Tracefs(fixture("linux-4-layout"), "kvm"), Isa.SVM);
        assertThat(old.tracepoints()).hasSize(12).doesNotContain("kvm_halt_poll_ns");
        assertThat(old.events()).hasSize(82 + 12);
    }

    @Test
    void aFileCutAnywhereEitherFailsClearlyOrStillHoldsTheWholeTable() throws Exception {
        String real = realFormat();
        ExitReasonTable whole = table("linux-6.18", Isa.VMX);
        for (int cut = 0; cut < real.length(); cut += 53) {
            String origin = "cut-at-" + cut;
            try {
                ExitReasonTable parsed = ExitReasonTable.parse(TracepointFormat.parse(real.substring(0, cut), origin),
                        Isa.VMX, origin);
                assertThat(parsed).as(origin).isEqualTo(whole);
            } catch (TracepointFormatException e) {
                assertThat(e.getMessage()).as(origin).matches(Pattern.quote(origin) + "(:| line \\d+:) .*");
            }
        }
    }

    @Test
    void truncatedInsideTheTable() throws Exception {
        String real = realFormat();
        Path file = write(real.substring(0, real.indexOf("{ 30, \"IO_INSTRUCTION\" }")));

        assertThatThrownBy(() -> parse(file, Isa.VMX)).isInstanceOf(TracepointFormatException.class)
                .hasMessageStartingWith(file + ": print fmt ends inside the '(' at column")
                .hasMessageEndingWith("the file looks truncated");
    }

    @Test
    void truncatedInsideAName() throws Exception {
        String real = realFormat();
        Path file = write(real.substring(0, real.indexOf("IO_INSTRUCTION")));

        assertThatThrownBy(() -> parse(file, Isa.VMX)).isInstanceOf(TracepointFormatException.class)
                .hasMessageContaining("print fmt ends inside the string that opens at column");
    }

    @Test
    void truncatedBeforeThePrintFmtLine() throws Exception {
        String real = realFormat();
        Path file = write(real.substring(0, real.indexOf("print fmt")));

        assertThatThrownBy(() -> parse(file, Isa.SVM)).isInstanceOf(TracepointFormatException.class)
                .hasMessage(file + ": no 'print fmt:' line; the file looks truncated");
    }

    @Test
    void aFormatWithoutExitReasonField() throws Exception {
        Path file = write(Files.readString(fixture("linux-6.18").resolve("events/kvm/kvm_entry/format")));

        assertThatThrownBy(() -> parse(file, Isa.VMX)).isInstanceOf(TracepointFormatException.class)
                .hasMessage(file + ": no exit_reason field; exit reasons are read from x86 kernels' kvm_exit only");
    }

    @Test
    void aReasonPrintedAsANumberHasNoTable() throws Exception {
        String real = realFormat();
        Path file = write(real.substring(0, real.indexOf("print fmt")) + "print fmt: \"reason %u rip 0x%lx\", "
                + "REC->exit_reason, REC->guest_rip\n");

        assertThatThrownBy(() -> parse(file, Isa.VMX)).isInstanceOf(TracepointFormatException.class)
                .hasMessage(file + ": print fmt has no __print_symbolic(REC->exit_reason, ...) table for VMX, so the "
                        + "reason names are unknown");
    }

    @Test
    void aMacroLeftUnexpandedInTheTable() throws Exception {
        Path file = write(realFormat().replace("{ 12, \"HLT\" }", "{ EXIT_REASON_HLT, \"HLT\" }"));

        assertThatThrownBy(() -> parse(file, Isa.VMX)).isInstanceOf(TracepointFormatException.class)
                .hasMessageStartingWith(file + ": exit reason code is not a constant: 'EXIT_REASON_HLT' is not a "
                        + "number at column 1");
        assertThat(parse(file, Isa.SVM).reasons()).as("the other ISA's table is fine").hasSize(110);
    }

    @Test
    void anEntryWithoutAName() throws Exception {
        Path file = write(realFormat().replace("{ 12, \"HLT\" }", "{ 12 }"));

        assertThatThrownBy(() -> parse(file, Isa.VMX)).isInstanceOf(TracepointFormatException.class)
                .hasMessage(file + ": expected '{ code, \"NAME\" }' in the exit reason table, got '{ 12 }'");
    }

    @Test
    void aMalformedFieldLineNamesItsLine() throws Exception {
        Path file = write(realFormat().replace("exit_reason;\toffset:8;\tsize:4;", "exit_reason;\toffset:8;\tsize:;"));

        assertThatThrownBy(() -> parse(file, Isa.VMX)).isInstanceOf(TracepointFormatException.class)
                .hasMessageStartingWith(file + " line 9: expected 'field:TYPE NAME; offset:N; size:N; signed:0|1;'");
    }

    @Test
    void anIdThatIsNotANumber() throws Exception {
        Path root = copyOfFixture("linux-6.18");
        Files.writeString(root.resolve("events/kvm/kvm_pio/id"), "kvm_pio\n");

        assertThatThrownBy(() -> KvmTracepoints.load(new Tracefs(root, "kvm"), Isa.UNKNOWN))
                .isInstanceOf(TracepointFormatException.class)
                .hasMessage(root.resolve("events/kvm/kvm_pio/id") + ": expected a decimal event id, got 'kvm_pio'");
    }

    @Test
    void tracefsNotMountedOrWithoutKvm() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("tracing"));
        assertThatThrownBy(() -> KvmTracepoints.load(new Tracefs(empty, "kvm"), Isa.VMX))
                .isInstanceOf(IOException.class)
                .hasMessage("tracefs is not mounted at " + empty + ": mount it with 'mount -t tracefs nodev " + empty
                        + "' and restart the agent");

        Files.createDirectories(empty.resolve("events/sched"));
        assertThatThrownBy(() -> KvmTracepoints.load(new Tracefs(empty, "kvm"), Isa.VMX))
                .isInstanceOf(IOException.class)
                .hasMessage(empty.resolve("events/kvm") + " does not exist: no kvm tracepoints in this kernel (is the "
                        + "kvm module loaded?)");
    }

    private static ExitReasonTable.Reason reason(String name, long code) {
        return new ExitReasonTable.Reason(name, List.of(code));
    }

    private static ExitReasonTable.Reason reasonNamed(ExitReasonTable table, String name) {
        return table.reasons().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    private static Map<String, Long> codes(ExitReasonTable table) {
        return table.reasons().stream().collect(Collectors.toMap(ExitReasonTable.Reason::name, r -> r.codes().get(0)));
    }

    private ExitReasonTable table(String tree, Isa isa) throws Exception {
        return parse(fixture(tree).resolve("events/kvm/kvm_exit/format"), isa);
    }

    private static ExitReasonTable parse(Path file, Isa isa) throws IOException {
        return ExitReasonTable.parse(TracepointFormat.parse(Files.readString(file), file.toString()), isa,
                file.toString());
    }

    private String realFormat() throws Exception {
        return Files.readString(fixture("linux-6.18").resolve("events/kvm/kvm_exit/format"));
    }

    private Path write(String format) throws IOException {
        return Files.writeString(dir.resolve("format"), format);
    }

    private Path copyOfFixture(String tree) throws Exception {
        Path source = fixture(tree);
        Path copy = dir.resolve(tree);
        try (var paths = Files.walk(source)) {
            for (Path p : paths.toList()) {
                Path target = copy.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return copy;
    }

    static Path fixture(String tree) throws URISyntaxException {
        return Path.of(KvmExitFormatTest.class.getResource("/tracefs/" + tree).toURI());
    }
}
