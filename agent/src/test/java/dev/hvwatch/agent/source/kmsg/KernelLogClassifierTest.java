package dev.hvwatch.agent.source.kmsg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.ring.Notice;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real-world kernel log records of the three IOMMU vendors (4.x to 6.x wordings), KVM and machine-check errors. */
class KernelLogClassifierTest {
    private static final KernelLogClassifier CLASSIFIER = new KernelLogClassifier();
    private static final Map<Long, Optional<Notice>> BY_SEQ = new LinkedHashMap<>();

    @BeforeAll
    static void classifyFixture() throws IOException, KmsgFormatException {
        List<String> lines;
        try (InputStream in = KernelLogClassifierTest.class.getResourceAsStream("/kmsg/records.txt")) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        for (String line : lines) {
            KmsgRecord r = KmsgRecord.parse(line);
            BY_SEQ.put(r.seq(), CLASSIFIER.classify(r.message()));
        }
    }

    private static Notice notice(long seq) {
        assertThat(BY_SEQ.get(seq)).as("record %d is a notice", seq).isPresent();
        return BY_SEQ.get(seq).get();
    }

    @Test
    void intelVtdFaultsOfEveryWording() {
        Notice current = notice(1234);
        assertThat(current.type()).isEqualTo("iommu.fault");
        assertThat(current.device()).isEqualTo("3b:00.0");
        assertThat(current.facts()).containsEntry("vendor", "intel-vt-d").containsEntry("address", "0x7fe00000")
                .containsEntry("reason", "0x06 PTE Read access is not set").containsEntry("access", "DMA Read");

        assertThat(notice(1235).facts()).containsEntry("reason", "0x05 PTE Write access is not set")
                .containsEntry("access", "DMA Write").containsEntry("address", "0x7fe00000");
        assertThat(notice(1236).device()).isEqualTo("03:00.0");
        assertThat(notice(1236).facts()).containsEntry("reason", "DMA Read").containsEntry("address", "0xfffd0000");
        assertThat(notice(1237).facts()).containsEntry("access", "INTR-REMAP").containsEntry("interrupt_index", "0x0")
                .containsEntry("reason", "0x25 Blocked a compatibility format interrupt request");
        assertThat(BY_SEQ.get(1239L)).as("the fault-status line carries no device").isEmpty();
    }

    @Test
    void amdViEventsWithTheDeviceInTheEventOrInThePrefix() {
        assertThat(notice(2000).device()).isEqualTo("42:00.0");
        assertThat(notice(2000).facts()).containsEntry("vendor", "amd-vi").containsEntry("reason", "IO_PAGE_FAULT")
                .containsEntry("address", "0x000000fdf8000000").containsEntry("domain", "0x0000")
                .containsEntry("flags", "0x0070");
        assertThat(notice(2001).device()).isEqualTo("0000:41:00.0");
        assertThat(notice(2001).facts()).containsEntry("domain", "0x0012");
        assertThat(notice(2002).device()).isEqualTo("0000:06:00.0");
        assertThat(notice(2003).facts()).containsEntry("reason", "INVALID_DEVICE_REQUEST");
    }

    @Test
    void armSmmuFaults() {
        assertThat(notice(3000).device()).isEqualTo("arm-smmu-v3.0.auto");
        assertThat(notice(3000).facts()).containsEntry("reason", "event 0x10");
        assertThat(BY_SEQ.get(3001L)).as("raw event words that follow are not a second fault").isEmpty();
        assertThat(notice(3002).device()).isEqualTo("0000:05:00.0");
        assertThat(notice(3002).facts()).containsEntry("reason", "F_TRANSLATION").containsEntry("address", "0x8000");
        assertThat(notice(3003).facts()).containsEntry("vendor", "arm-smmu")
                .containsEntry("reason", "context fault fsr 0x402").containsEntry("address", "0x84000000");
    }

    @Test
    void suppressedFaultCountsOfEachVendor() {
        for (long seq : new long[] {1238, 2004, 3004}) {
            assertThat(notice(seq).type()).isEqualTo("iommu.faults_suppressed");
        }
        assertThat(notice(1238).facts()).containsEntry("count", 42L).containsEntry("handler", "dmar_fault");
        assertThat(notice(2004).facts()).containsEntry("count", 30L);
        assertThat(notice(3004).facts()).containsEntry("count", 7L);
    }

    @Test
    void kvmAndMachineCheckErrorsButNotRoutineKvmChatter() {
        assertThat(notice(4000).type()).isEqualTo("kvm.error");
        assertThat(notice(4000).facts()).containsEntry("error", "vmwrite error");
        assertThat(notice(4002).facts()).containsEntry("error", "vmptrld");
        assertThat(BY_SEQ.get(4001L)).isEmpty();
        assertThat(notice(5000).type()).isEqualTo("mce.error");
        assertThat(notice(5001).facts()).containsEntry("kind", "CE").containsEntry("count", 1L);
        assertThat(BY_SEQ.get(5002L)).isEmpty();
    }

    @Test
    void recordLayoutAndFacility() throws KmsgFormatException {
        KmsgRecord r = KmsgRecord.parse("14,7000,500,-;DMAR: [DMA Read NO_PASID] Request device [3b:00.0]\n SUBSYSTEM=pci\n");
        assertThat(r.facility()).isEqualTo(1);
        assertThat(r.level()).isEqualTo(6);
        assertThat(r.fromKernel()).isFalse();
        assertThat(r.message()).isEqualTo("DMAR: [DMA Read NO_PASID] Request device [3b:00.0]");
        assertThat(KmsgRecord.parse("3,1,2,-,caller=T1;x").fromKernel()).isTrue();
    }

    @Test
    void malformedAndTruncatedRecordsGiveClearErrors() {
        assertThatThrownBy(() -> KmsgRecord.parse("no semicolon here")).isInstanceOf(KmsgFormatException.class)
                .hasMessageContaining("no ';'");
        assertThatThrownBy(() -> KmsgRecord.parse("3,abc,5,-;DMAR: x")).isInstanceOf(KmsgFormatException.class)
                .hasMessageContaining("SEQ is not a non-negative number in '3,abc,5,-;DMAR: x'");
        assertThatThrownBy(() -> KmsgRecord.parse("3,5;msg")).isInstanceOf(KmsgFormatException.class)
                .hasMessageContaining("expected 'PRI,SEQ,USEC,FLAGS;'");
        assertThatThrownBy(() -> KmsgRecord.parse("3,60")).isInstanceOf(KmsgFormatException.class);
        assertThat(CLASSIFIER.classify("DMAR: [DMA Read NO_PASID] Request device [3b:0")).as("truncated").isEmpty();
    }
}
