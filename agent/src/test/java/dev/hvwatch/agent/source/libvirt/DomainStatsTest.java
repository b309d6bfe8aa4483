package dev.hvwatch.agent.source.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.vm.Tenancy;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import dev.hvwatch.agent.source.libvirt.DomainMetric.Group;
import dev.hvwatch.nativebind.TypedParametersFixture;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Records laid out as libvirt returns them, decoded into samples. */
class DomainStatsTest {
    private static final Vm VM = new Vm(77, 1, "instance-0000a1f3", "9b33ffbb-3cdb-43fe-8212-fc8c5d18025b", 1,
            Optional.empty(), true, List.of(), Vm.LIBVIRT, new Tenancy());

    private final Map<String, Double> samples = new ConcurrentHashMap<>();
    private final Map<String, Series> series = new ConcurrentHashMap<>();
    private final EventHandler<TelemetryEvent> capture = (e, seq, end) -> {
        if (e.kind() == EventKind.SAMPLE) {
            String key = e.vcpu() + "/" + e.series().prometheusName() + e.series().labels();
            samples.put(key, e.value());
            series.put(key, e.series());
        }
    };
    private final EventRing ring = new EventRing(1024, capture);
    private final LibvirtCounters counters = new LibvirtCounters();
    private final KvmStatSeries kvm = new KvmStatSeries();
    private final DomainStats stats = new DomainStats(VM, 1, 2, counters);

    @AfterEach
    void close() {
        ring.close();
    }

    /** A record as libvirt 9.0 gives it for a one-vCPU domain with one IDE disk and one interface. */
    private static TypedParametersFixture record(long exits, long readBytes) {
        return new TypedParametersFixture()
                .integer("state.state", 1).integer("state.reason", 1)
                .number("cpu.time", 2_318_705_000L).number("cpu.user", 83_901_000L)
                .number("balloon.current", 32768).number("balloon.maximum", 32768).number("balloon.rss", 36552)
                .integer("vcpu.current", 1).integer("vcpu.maximum", 1)
                .integer("vcpu.0.state", 1).number("vcpu.0.time", 2_010_000_000L).number("vcpu.0.delay", 12_497_226)
                .number("vcpu.0.exits.sum", exits).number("vcpu.0.halt_poll_fail_ns.sum", 2_000)
                .bool("vcpu.0.guest_mode.cur", false)
                .integer("net.count", 1).string("net.0.name", "vnet7").number("net.0.rx.bytes", 1500)
                .integer("block.count", 1).string("block.0.name", "hda").string("block.0.path", "/img/a.img")
                .number("block.0.rd.bytes", readBytes).number("block.0.rd.times", 3_000_000_000L)
                .number("block.0.capacity", 512)
                .number("vm.pages_4k.cur", 12).number("vm.max_mmu_rmap_size.max", 3);
    }

    private final RecordDecoder decoder = new RecordDecoder(counters);
    private long now;

    private void publish(TypedParametersFixture record) {
        publish(decoder.decode(stats, record.view(), ++now));
    }

    private void publish(RecordDecoder.Decoded decoded) {
        Batch batch = ring.batch();
        stats.publish(decoded, batch, kvm);
        batch.flush(); // as the source does at the end of its round
    }

    private void awaitSample(String key, double value) {
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> Double.valueOf(value).equals(samples.get(key)));
    }

    @Test
    void aRealRecordBecomesSamplesInBaseUnits() {
        publish(record(5432, 4096));
        awaitSample("-1/hvwatch_kvm_max_mmu_rmap_size{}", 3);
        assertThat(samples).containsEntry("0/hvwatch_kvm_exits_total{}", 5432.0)
                .containsEntry("0/hvwatch_kvm_guest_mode{}", 0.0)
                .containsEntry("-1/hvwatch_kvm_pages_4k{}", 12.0)
                .containsEntry("-1/hvwatch_vm_state{}", 1.0)
                .containsEntry("-1/hvwatch_vm_cpu_usage_seconds_total{}", 2.318705)
                .containsEntry("-1/hvwatch_vm_balloon_current_bytes{}", 32.0 * 1024 * 1024)
                .containsEntry("-1/hvwatch_vm_memory_rss_bytes{}", 36552.0 * 1024)
                .containsEntry("-1/hvwatch_vm_network_receive_bytes_total{device=vnet7}", 1500.0)
                .containsEntry("-1/hvwatch_vm_block_read_bytes_total{device=hda}", 4096.0)
                .containsEntry("-1/hvwatch_vm_block_read_time_seconds_total{device=hda}", 3.0)
                .containsEntry("-1/hvwatch_vm_block_capacity_bytes{device=hda}", 512.0);
        assertThat(samples.get("0/hvwatch_kvm_halt_poll_fail_seconds_total{}")).isCloseTo(2e-6,
                org.assertj.core.data.Offset.offset(1e-15));
        assertThat(samples.keySet()).noneMatch(k -> k.contains("delay") || k.contains("path"));
        assertThat(counters.errors()).isZero();
        assertThat(kvm.fedBy(VM, LibvirtSource.NAME)).isTrue();
    }

    @Test
    void theNextRoundReusesEverySeries() {
        publish(record(100, 1));
        awaitSample("-1/hvwatch_vm_block_read_bytes_total{device=hda}", 1);
        Series exits = series.get("0/hvwatch_kvm_exits_total{}");
        Series read = series.get("-1/hvwatch_vm_block_read_bytes_total{device=hda}");
        publish(record(200, 2));
        awaitSample("-1/hvwatch_vm_block_read_bytes_total{device=hda}", 2);
        assertThat(series.get("0/hvwatch_kvm_exits_total{}")).isSameAs(exits);
        assertThat(series.get("-1/hvwatch_vm_block_read_bytes_total{device=hda}")).isSameAs(read);
        assertThat(samples).containsEntry("0/hvwatch_kvm_exits_total{}", 200.0);
    }

    @Test
    void whatCannotBeTrustedIsCountedNotFatal() {
        publish(new TypedParametersFixture()
                .unterminated()
                .number("vm.brand_new_stat.avg", 1).number("vm.brand_new_stat.avg", 1)
                .string("vcpu.0.exits.sum", "not a number")
                .number("block.0.rd.bytes", 10) // before its name
                .integer("block.count", 2).string("block.0.name", "hda")
                .integer("vcpu.current", 2).number("vcpu.0.exits.sum", 1).number("vm.pages_4k.cur", 1)
                .ofType("vm.remote_tlb_flush.sum", 42));
        // no NUL; one unknown name (once); a string value; a value before its name; 2 disks promised, 1 listed;
        // 2 vCPUs promised, 1 listed; an unknown type where a number belongs
        assertThat(counters.errors()).isEqualTo(7);
        publish(new TypedParametersFixture().number("vm.brand_new_stat.avg", 1));
        assertThat(counters.errors()).as("an unknown name is counted once").isEqualTo(7);
    }

    @Test
    void aGroupMissingFromALaterRecordIsCountedAsSkipped() {
        publish(record(1, 1));
        publish(new TypedParametersFixture().integer("state.state", 1).number("cpu.time", 1)
                .integer("block.count", 1).string("block.0.name", "hda").number("block.0.rd.bytes", 2));
        assertThat(counters.skipped(Group.VM)).isEqualTo(1);
        assertThat(counters.skipped(Group.VCPU)).isEqualTo(1);
        assertThat(counters.skipped(Group.BALLOON)).isEqualTo(1);
        assertThat(counters.skipped(Group.NET)).isEqualTo(1);
        assertThat(counters.skipped(Group.BLOCK)).isZero();
        assertThat(counters.errors()).isZero();
    }

    @Test
    void aRecordOlderThanWhatWasPublishedIsNotPublished() {
        // A call stuck on a starved QEMU returns after the next one, which left that domain's KVM group out.
        RecordDecoder.Decoded stuck = decoder.decode(stats, record(100, 1).view(), 10);
        RecordDecoder.Decoded past = decoder.decode(stats, new TypedParametersFixture().integer("state.state", 1)
                .number("vm.pages_4k.cur", 50).integer("block.count", 1).string("block.0.name", "hda")
                .number("block.0.rd.bytes", 9).view(), 20);
        publish(past);
        publish(stuck);
        awaitSample("0/hvwatch_kvm_exits_total{}", 100);
        assertThat(samples).as("the stuck call's groups the later one lacked are news")
                .containsEntry("0/hvwatch_kvm_exits_total{}", 100.0)
                .as("its groups the later one had are not: counters never go back")
                .containsEntry("-1/hvwatch_vm_block_read_bytes_total{device=hda}", 9.0)
                .containsEntry("-1/hvwatch_kvm_pages_4k{}", 50.0);
        assertThat(counters.skipped(Group.VM)).isZero();
    }

    @Test
    void aVmAnotherSourceFeedsGetsNoKvmStatisticsFromHere() {
        assertThat(kvm.claim(VM, "qmp")).isTrue();
        publish(record(5432, 4096));
        awaitSample("-1/hvwatch_vm_block_read_bytes_total{device=hda}", 4096);
        assertThat(samples.keySet()).noneMatch(k -> k.contains("hvwatch_kvm_"));
    }

    @Test
    void aRecordWithoutKvmStatisticsSaysLibvirtHasNone() {
        publish(new TypedParametersFixture().integer("state.state", 1).integer("vcpu.current", 1)
                .number("vcpu.0.time", 5));
        assertThat(stats.lacksKvmStatistics()).isTrue();
        assertThat(new DomainStats(VM, 1, 2, counters).lacksKvmStatistics()).as("not before a record").isFalse();
    }
}
