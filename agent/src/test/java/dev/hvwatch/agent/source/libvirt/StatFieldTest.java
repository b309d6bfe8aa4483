package dev.hvwatch.agent.source.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.source.libvirt.DomainMetric.Group;
import dev.hvwatch.agent.source.libvirt.StatField.Kind;
import org.junit.jupiter.api.Test;

/** Field names as libvirt 9.0 writes them (virsh domstats), read into what hvwatch makes of them. */
class StatFieldTest {

    @Test
    void kvmStatisticsBecomeTheSeriesQmpGives() {
        StatField exits = StatField.parse("vcpu.3.exits.sum", false);
        assertThat(exits.kind()).isEqualTo(Kind.KVM);
        assertThat(exits.index()).isEqualTo(3);
        assertThat(exits.kvm().name()).isEqualTo("hvwatch.kvm.exits");
        assertThat(exits.kvm().cumulative()).isTrue();
        assertThat(exits.kvm().baseUnit()).isNull();

        StatField poll = StatField.parse("vcpu.0.halt_poll_success_ns.sum", false);
        assertThat(poll.kvm().name()).isEqualTo("hvwatch.kvm.halt_poll_success");
        assertThat(poll.kvm().baseUnit()).isEqualTo("seconds");
        assertThat(poll.kvm().scale()).isEqualTo(1e-9);

        StatField mode = StatField.parse("vcpu.0.guest_mode.cur", true);
        assertThat(mode.kvm().name()).isEqualTo("hvwatch.kvm.guest_mode");
        assertThat(mode.kvm().cumulative()).isFalse();
        assertThat(mode.kvm().help()).contains("0 or 1");

        StatField pages = StatField.parse("vm.pages_4k.cur", false);
        assertThat(pages.index()).isEqualTo(-1);
        assertThat(pages.kvm().name()).isEqualTo("hvwatch.kvm.pages_4k");
        StatField peak = StatField.parse("vm.max_mmu_rmap_size.max", false);
        assertThat(peak.kvm().cumulative()).isFalse();
        assertThat(peak.kvm().help()).contains("highest value seen");
    }

    @Test
    void devicesAndVmWideStatistics() {
        StatField name = StatField.parse("block.1.name", false);
        assertThat(name.kind()).isEqualTo(Kind.DEVICE_NAME);
        assertThat(name.group()).isEqualTo(Group.BLOCK);
        assertThat(name.index()).isEqualTo(1);
        assertThat(StatField.parse("block.1.rd.bytes", false).metric()).isEqualTo(DomainMetric.BLOCK_READ_BYTES);
        assertThat(StatField.parse("net.0.tx.drop", false).metric()).isEqualTo(DomainMetric.NET_TRANSMIT_DROPS);
        assertThat(StatField.parse("balloon.rss", false).metric()).isEqualTo(DomainMetric.MEMORY_RSS);
        assertThat(StatField.parse("state.state", false).metric()).isEqualTo(DomainMetric.STATE);
        assertThat(StatField.parse("cpu.time", false).metric()).isEqualTo(DomainMetric.CPU_USAGE);
        assertThat(StatField.parse("block.count", false).kind()).isEqualTo(Kind.COUNT);
        assertThat(StatField.parse("vcpu.current", false).kind()).isEqualTo(Kind.COUNT);
    }

    @Test
    void knownFieldsHvwatchDoesNotPublishAreIgnoredNotErrors() {
        for (String known : new String[] {"state.reason", "cpu.user", "cpu.system", "cpu.haltpoll.success.time",
                "cpu.cache.monitor.count", "balloon.last-update", "vcpu.maximum", "vcpu.0.state", "vcpu.0.time",
                "vcpu.0.wait", "vcpu.0.delay", "block.0.path", "block.0.backingIndex"}) {
            assertThat(StatField.parse(known, false).kind()).as(known).isEqualTo(Kind.IGNORED);
        }
    }

    @Test
    void namesOutsideTheGrammarAreUnknown() {
        for (String odd : new String[] {"", "vm", "vm.exits", "vm.exits.sum.extra", "vcpu.x.exits.sum",
                "vcpu.-1.exits.sum", "vcpu.01.exits.sum", "vcpu.999999.exits.sum", "vcpu.0.exits.avg",
                "block.0.rd.lies", "net.one.rx.bytes", "perf.cmt", "dirtyrate.calc_status", "vm..sum",
                "balloon.mystery"}) {
            assertThat(StatField.parse(odd, false).kind()).as("'%s'", odd).isEqualTo(Kind.UNKNOWN);
        }
    }
}
