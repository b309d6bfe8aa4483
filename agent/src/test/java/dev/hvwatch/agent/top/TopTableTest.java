package dev.hvwatch.agent.top;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.top.TopTable.FiringRule;
import dev.hvwatch.agent.top.TopTable.Rate;
import dev.hvwatch.agent.top.TopTable.VmRow;
import dev.hvwatch.protocol.Severity;
import org.junit.jupiter.api.Test;

class TopTableTest {
    private static final long SECOND = 1_000_000_000L;

    static final String BEFORE = """
            hvwatch_vm_info{pid="10",source="proc",uuid="",vm="web"} 1
            hvwatch_vm_info{pid="11",source="proc",uuid="",vm="db"} 1
            hvwatch_kvm_exits_total{vcpu="0",vm="web"} 1000
            hvwatch_kvm_exits_total{vcpu="1",vm="web"} 500
            hvwatch_vm_exits_total{reason="HLT",vm="db"} 100
            hvwatch_vm_exits_total{reason="IO_INSTRUCTION",vm="db"} 50
            hvwatch_kvm_tracepoint_events_total{tracepoint="kvm_pio",vm="web"} 300
            hvwatch_kvm_tracepoint_events_total{tracepoint="kvm_mmio",vm="web"} 10
            hvwatch_vcpu_run_seconds_total{vcpu="0",vm="web"} 10
            hvwatch_vcpu_wait_seconds_total{vcpu="0",vm="web"} 1
            hvwatch_vcpu_run_seconds_total{vcpu="1",vm="web"} 10
            hvwatch_vcpu_wait_seconds_total{vcpu="1",vm="web"} 1
            hvwatch_vcpu_run_seconds_total{vcpu="0",vm="db"} 5
            hvwatch_vcpu_wait_seconds_total{vcpu="0",vm="db"} 0
            """;

    static final String NOW = """
            hvwatch_vm_info{pid="10",source="proc",uuid="",vm="web"} 1
            hvwatch_vm_info{pid="11",source="proc",uuid="",vm="db"} 1
            hvwatch_kvm_exits_total{vcpu="0",vm="web"} 5000
            hvwatch_kvm_exits_total{vcpu="1",vm="web"} 2500
            hvwatch_vm_exits_total{reason="HLT",vm="db"} 140
            hvwatch_vm_exits_total{reason="IO_INSTRUCTION",vm="db"} 50
            hvwatch_kvm_tracepoint_events_total{tracepoint="kvm_pio",vm="web"} 4300
            hvwatch_kvm_tracepoint_events_total{tracepoint="kvm_mmio",vm="web"} 30
            hvwatch_vcpu_run_seconds_total{vcpu="0",vm="web"} 11
            hvwatch_vcpu_wait_seconds_total{vcpu="0",vm="web"} 2
            hvwatch_vcpu_run_seconds_total{vcpu="1",vm="web"} 12
            hvwatch_vcpu_wait_seconds_total{vcpu="1",vm="web"} 1
            hvwatch_vcpu_run_seconds_total{vcpu="0",vm="db"} 5
            hvwatch_vcpu_wait_seconds_total{vcpu="0",vm="db"} 0
            hvwatch_vm_cpu_share_ratio{vm="web"} 0.75
            hvwatch_vm_cpu_share_ratio{vm="db"} 0
            hvwatch_alerts_firing{rule="vm-exit-storm",severity="medium",vm="web"} 1
            hvwatch_alerts_firing{rule="vcpu-starvation",severity="high",vm="web"} 2
            hvwatch_alerts_firing{rule="posture-smt",severity="medium",vm=""} 1
            """;

    static Scrape scrape(long nanos, String text) {
        return new Scrape(nanos, Exposition.parse(text));
    }

    @Test
    void ratesAreTakenBetweenTwoScrapes() {
        TopTable table = TopTable.between(scrape(0, BEFORE), scrape(2 * SECOND, NOW));
        assertThat(table.measured()).isTrue();
        VmRow web = table.vms().get(0);
        assertThat(web.vm()).isEqualTo("web");
        assertThat(web.exitsPerSecond()).as("KVM's exit count, both vCPUs: 6000 in 2 s").isEqualTo(3000);
        assertThat(web.topExits()).containsExactly(new Rate("pio", 2000), new Rate("mmio", 10));
        assertThat(web.steal()).as("waited 1 s of 3 s runnable + 1 s waited").isEqualTo(0.25);
        assertThat(web.cpuShare()).isEqualTo(0.75);
        assertThat(web.alerts()).containsExactly(new FiringRule("vcpu-starvation", Severity.HIGH, 2),
                new FiringRule("vm-exit-storm", Severity.MEDIUM, 1));
        assertThat(web.firing()).isEqualTo(3);

        VmRow db = table.vms().get(1);
        assertThat(db.exitsPerSecond()).as("no KVM statistics: the kvm_exit reasons add up").isEqualTo(20);
        assertThat(db.topExits()).as("only reasons that moved").containsExactly(new Rate("HLT", 20));
        assertThat(db.steal()).as("wanted no CPU: steal unknown, not 0").isNaN();
        assertThat(table.hostAlerts()).containsExactly(new FiringRule("posture-smt", Severity.MEDIUM, 1));
    }

    @Test
    void theFirstScrapeHasNoRatesAndACounterThatWentBackHasNone() {
        TopTable first = TopTable.between(null, scrape(0, NOW));
        assertThat(first.measured()).isFalse();
        assertThat(first.vms()).allSatisfy(vm -> {
            assertThat(vm.exitsPerSecond()).isNaN();
            assertThat(vm.steal()).isNaN();
            assertThat(vm.topExits()).isEmpty();
        });
        assertThat(first.vms().get(0).cpuShare()).isEqualTo(0.75);

        TopTable restarted = TopTable.between(scrape(0, NOW), scrape(SECOND, BEFORE));
        assertThat(restarted.vms().get(0).exitsPerSecond()).isNaN();
        assertThat(restarted.vms().get(0).steal()).isNaN();
        assertThat(restarted.vms().get(0).topExits()).isEmpty();
    }
}
