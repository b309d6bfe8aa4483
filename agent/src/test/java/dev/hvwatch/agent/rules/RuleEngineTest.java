package dev.hvwatch.agent.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.rules.attribution.Attribution;
import dev.hvwatch.agent.rules.attribution.InterferenceSink;
import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.VmLifecycle;
import dev.hvwatch.agent.source.census.CpuCensus;
import dev.hvwatch.agent.vm.Tenancy;
import dev.hvwatch.agent.vm.Tenant;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.Category;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RuleEngineTest {
    private static final long SECOND = 1_000_000_000L;
    private static final Vm WEB = new Vm(4242, 7, "web", "9b2d3c4e-1111-4222-8333-944455556666", 1, Optional.empty(),
            true, List.of("qemu-system-x86_64"));

    private final List<Alert> alerts = new ArrayList<>();

    private RuleEngine engine() throws Exception {
        return new RuleEngine(RulePack.load(List.of()), new AlertFactory("hv-1"), alerts::add, 2);
    }

    @Test
    void aNoticeAlertCarriesTheNoticeFactsAndTheFiguresBehindItsCondition() throws Exception {
        RuleEngine engine = engine();
        engine.onNotice(null, new Notice("iommu.fault", "3b:00.0", Map.of("vendor", "intel-vt-d",
                "reason", "0x06 PTE Read access is not set", "address", "0x7fe00000"), "DMAR: …"), 5 * SECOND);
        assertThat(alerts).singleElement().satisfies(a -> {
            assertThat(a.rule()).isEqualTo("iommu-fault");
            assertThat(a.category()).isEqualTo(Category.ISOLATION);
            assertThat(a.nist()).containsExactly("HY-SR-6C");
            assertThat(a.device()).isEqualTo("3b:00.0");
            assertThat(a.host()).isEqualTo("hv-1");
            assertThat(a.evidence()).containsEntry("vendor", "intel-vt-d").containsEntry("address", "0x7fe00000")
                    .containsEntry("count_over(600s)", 1.0).containsEntry("condition", "count_over(10m) >= 1");
        });
    }

    /**
     * Rounds skip a quiet notice subject until its window's oldest notice expires: the alert still resolves in the
     * very round that notice leaves the ten-minute window, and a second notice moves that round on.
     */
    @Test
    void aNoticeAlertResolvesInTheRoundItsLastNoticeLeavesTheWindow() throws Exception {
        RuleEngine engine = engine();
        Notice fault = new Notice("iommu.fault", "3b:00.0", Map.of("vendor", "intel-vt-d"), "DMAR: …");
        engine.onNotice(null, fault, 5 * SECOND);
        for (int s = 6; s <= 1000; s++) {
            if (s == 300) {
                engine.onNotice(null, fault, s * SECOND);
            }
            engine.onTick(s * SECOND);
        }
        assertThat(alerts).extracting(Alert::state).containsExactly(AlertState.FIRING, AlertState.RESOLVED);
        assertThat(AlertTime.parse(alerts.get(1).time()).getEpochSecond()).as("300 s + 10 min").isEqualTo(900);
    }

    @Test
    void aStoppedVmResolvesItsFiringAlertsAndAlertsNameTheVm() throws Exception {
        RuleEngine engine = engine();
        engine.onSchedstat(WEB, 0, 0, 0, 0, true);
        for (int i = 1; i <= 12; i++) {
            engine.onSchedstat(WEB, 0, i * SECOND, i * SECOND / 10, i * 9 * SECOND / 10, true);
            engine.onTick(i * SECOND);
        }
        engine.onVmStopped(WEB, 13 * SECOND);
        assertThat(alerts).extracting(Alert::state).containsExactly(AlertState.FIRING, AlertState.RESOLVED);
        assertThat(alerts.get(0).vm().uuid()).isEqualTo(WEB.uuid());
        assertThat(alerts.get(0).vm().pid()).isEqualTo(4242);
        assertThat(alerts.get(0).vcpu()).isZero();
        assertThat(alerts.get(1).evidence()).containsEntry("reason", "vm_stopped");
    }

    @Test
    void aStopNoticeAfterTheVmLeftAlertsWithTheTenantThenIsForgotten() throws Exception {
        RuleEngine engine = engine();
        Vm db = new Vm(4343, 8, "instance-0000a1f3", "0b2d3c4e-1111-4222-8333-944455556666", 1, Optional.empty(),
                true, List.of(), Vm.LIBVIRT, new Tenancy());
        db.tenancy().set(new Tenant("billing-db-1", "billing", "p-1", "alice", "u-1", "m1.small", null));
        engine.onVmStarted(db);
        engine.onVmStopped(db, SECOND);
        // libvirt's stop event is read in the round after discovery saw the process go.
        engine.onNotice(db, VmLifecycle.stopped(db.name(), "destroyed", "host", "libvirt"), 2 * SECOND);
        assertThat(alerts).singleElement().satisfies(a -> {
            assertThat(a.rule()).isEqualTo("vm-stopped");
            assertThat(a.vm().instanceName()).isEqualTo("billing-db-1");
            assertThat(a.vm().project()).isEqualTo("billing");
            assertThat(a.vm().manager()).isEqualTo("libvirt");
        });
        assertThat(engine.noticeSubjects()).isEqualTo(1);
        for (int s = 3; s <= 70; s++) {
            engine.onTick(s * SECOND);
        }
        assertThat(alerts).extracting(Alert::state).containsExactly(AlertState.FIRING, AlertState.RESOLVED);
        assertThat(engine.noticeSubjects()).as("nothing kept for a VM that is gone").isZero();
    }

    @Test
    void alertsRaisedWhileEventsWereDroppedSaySo() throws Exception {
        RuleEngine engine = engine();
        Series drops = new Series("hvwatch.events.dropped", "d", null, true, Map.of("stage", "ring"));
        engine.onSample(null, -1, drops, 0);
        engine.onTick(SECOND);
        engine.onSample(null, -1, drops, 7);
        engine.onTick(2 * SECOND);
        assertThat(alerts).singleElement().satisfies(a -> {
            assertThat(a.rule()).isEqualTo("agent-events-dropped");
            assertThat(a.category()).isEqualTo(Category.AGENT);
            assertThat(a.evidence()).containsEntry("events_dropped_last_minute", 7L);
        });
    }

    @Test
    void aReloadKeepsFiringAlertsWithoutRaisingThemAgain() throws Exception {
        RuleEngine engine = engine();
        engine.onNotice(null, new Notice("kvm.error", null, Map.of("error", "vmwrite error"), "kvm_intel: …"), SECOND);
        assertThat(alerts).hasSize(1);
        engine.replace(RulePack.load(List.of()));
        engine.onTick(2 * SECOND);
        engine.onNotice(null, new Notice("kvm.error", null, Map.of("error", "vmwrite error"), "kvm_intel: …"),
                3 * SECOND);
        assertThat(alerts).as("still firing, not raised again").hasSize(1);
    }

    @Test
    void firingCountsFollowAlertsByRuleSeverityAndVmAndSurviveAReload() throws Exception {
        List<Map<FiringAlert, Integer>> published = new ArrayList<>();
        RuleEngine engine = new RuleEngine(RulePack.load(List.of()), new AlertFactory("hv-1"), alerts::add, 2,
                published::add);
        engine.onNotice(null, new Notice("kvm.error", null, Map.of("error", "vmwrite error"), "kvm_intel: …"), SECOND);
        engine.onSchedstat(WEB, 0, 0, 0, 0, true);
        for (int i = 1; i <= 12; i++) {
            engine.onSchedstat(WEB, 0, i * SECOND, i * SECOND / 10, i * 9 * SECOND / 10, true);
            engine.onTick(i * SECOND);
        }
        FiringAlert kvmError = new FiringAlert("kvm-error", "high", "");
        FiringAlert starved = new FiringAlert("vcpu-starvation", "high", "web");
        assertThat(alerts).extracting(Alert::rule).containsExactly("kvm-error", "vcpu-starvation");
        assertThat(published.get(published.size() - 1)).containsOnly(Map.entry(kvmError, 1), Map.entry(starved, 1));

        engine.replace(RulePack.load(List.of()));
        engine.onSchedstat(WEB, 0, 13 * SECOND, 13 * SECOND / 10, 13 * 9 * SECOND / 10, true);
        engine.onTick(13 * SECOND);
        assertThat(alerts).as("no alert raised again").hasSize(2);
        assertThat(published.get(published.size() - 1)).as("carried over by the reload").containsEntry(starved, 1);

        engine.onVmStopped(WEB, 14 * SECOND);
        assertThat(published.get(published.size() - 1)).doesNotContainKey(starved);
    }

    @Test
    void firingCountsAreToldOncePerEventHoweverManyAlertsItSettles() throws Exception {
        List<Map<FiringAlert, Integer>> published = new ArrayList<>();
        RuleEngine engine = new RuleEngine(RulePack.load(List.of()), new AlertFactory("hv-1"), alerts::add, 2,
                published::add);
        Vm db = new Vm(4343, 8, "db", "9b2d3c4e-1111-4222-8333-944455557777", 1, Optional.empty(), true, List.of(),
                Vm.QEMU, new Tenancy());
        for (int i = 0; i <= 12; i++) {
            for (Vm vm : List.of(WEB, db)) {
                engine.onSchedstat(vm, 0, i * SECOND, i * SECOND / 10, i * 9 * SECOND / 10, true);
            }
            engine.onTick(i * SECOND);
        }
        assertThat(alerts).extracting(Alert::rule).containsExactly("vcpu-starvation", "vcpu-starvation");
        assertThat(published).as("both raised by one tick: told once").hasSize(1);
        assertThat(published.get(0)).containsOnly(Map.entry(new FiringAlert("vcpu-starvation", "high", "web"), 1),
                Map.entry(new FiringAlert("vcpu-starvation", "high", "db"), 1));
    }

    @Test
    void aDeviceStormCountsTheFaultsThatMadeItsSeriesAppearButNotACounterSeenAgainAfterAReload() throws Exception {
        RuleEngine engine = engine();
        Series tracepoint = new Series("hvwatch.iommu.faults", "f", null, true,
                Map.of("device", "0000:41:00.0", "source", "tracepoint"));
        engine.onTick(SECOND);
        engine.onSample(null, -1, tracepoint, 30);
        engine.onTick(2 * SECOND);
        assertThat(alerts).as("30 faults since the device was first seen, the round before").singleElement()
                .satisfies(a -> {
                    assertThat(a.rule()).isEqualTo("iommu-fault-storm");
                    assertThat(a.device()).isEqualTo("0000:41:00.0");
                    assertThat(a.vm()).isNull();
                    assertThat(a.evidence()).containsEntry(
                            "increase(hvwatch_iommu_faults_total{source=\"tracepoint\"}, 60s)", 30.0);
                });

        engine.replace(RulePack.load(List.of()));
        Series otherDevice = new Series("hvwatch.iommu.faults", "f", null, true,
                Map.of("device", "0000:3b:00.0", "source", "tracepoint"));
        engine.onSample(null, -1, otherDevice, 500);
        engine.onSample(null, -1, tracepoint, 30);
        engine.onTick(3 * SECOND);
        engine.onSample(null, -1, otherDevice, 500);
        engine.onSample(null, -1, tracepoint, 30);
        engine.onTick(4 * SECOND);
        assertThat(alerts).filteredOn(a -> a.state() == AlertState.FIRING)
                .as("a new device's 500 count; a known one's 30 after the reload is no increase")
                .extracting(Alert::device).containsExactly("0000:41:00.0", "0000:3b:00.0");
    }

    /**
     * The default starvation rule with attribution: web waits 90% on CPU 0 where the Nova instance hog runs; the
     * alert's evidence names hog as the alert's vm object does (tenant included), its message by its instance name,
     * and its resolution says nothing of who.
     */
    @Test
    void aStarvationAlertNamesWhoTookTheCpuAndItsResolutionDoesNot() throws Exception {
        SyntheticHost host = new SyntheticHost(2);
        RuleEngine engine = new RuleEngine(RulePack.load(List.of()), new AlertFactory("hv-1"), alerts::add, 2,
                firing -> { }, new Attribution(host, Attribution.DEFAULT_INTERVAL,
                        Attribution.DEFAULT_INTERFERENCE_FLOOR, InterferenceSink.NONE));
        Vm hog = new Vm(5151, 9, "instance-0000beef", "7c2d3c4e-1111-4222-8333-944455556666", 1, Optional.empty(),
                true, List.of(), Vm.LIBVIRT, new Tenancy());
        hog.tenancy().set(new Tenant("batch-7", "analytics", "p-9", "bob", "u-9", "c4.large", null));
        host.vm(WEB, CpuList.parse("0"));
        host.vm(hog, CpuList.parse("0"));
        host.process("stress-ng", CpuList.parse("0"));
        for (int i = 0; i <= 30; i++) {
            long waited = i <= 20 ? 9 * i * SECOND / 10 : 18 * SECOND;
            long ran = i * SECOND - waited;
            engine.onSchedstat(WEB, 0, i * SECOND, ran, waited, true);
            host.vcpu(WEB, 0, ran, waited);
            engine.onSchedstat(hog, 0, i * SECOND, i * 6 * SECOND / 10, 0, true);
            host.vcpu(hog, 0, i * 6 * SECOND / 10, 0);
            host.processRan("stress-ng", i == 0 ? 0 : 3 * SECOND / 10);
            engine.onTick(i * SECOND);
        }
        // Each second on CPU 0: web ran 0.1 s, hog 0.6 s, stress-ng 0.3 s: of the 0.9 s others ran, 2/3 and 1/3.
        Alert firing = alerts.get(0);
        assertThat(firing.rule()).isEqualTo("vcpu-starvation");
        assertThat(firing.message()).endsWith("(threshold 30% for 10s); the CPU went to VM batch-7 (67%) and host "
                + "processes (33%)");
        // The condition held from the first delta (1 s) and fired once it had held for 10 s.
        assertThat(firing.time()).isEqualTo(AlertTime.format(Instant.ofEpochSecond(11)));
        assertThat(firing.evidence()).containsEntry("held_since", AlertTime.format(Instant.ofEpochSecond(1)));
        assertThat(firing.evidence()).containsEntry("other_host_share", 0.3333)
                .containsEntry("other_host_processes", List.of("stress-ng"))
                .containsEntry("antagonists", List.of(Map.of("vm", Map.of("name", "instance-0000beef",
                        "uuid", "7c2d3c4e-1111-4222-8333-944455556666", "pid", 5151, "instance_name", "batch-7",
                        "project", "analytics", "project_id", "p-9", "user", "bob", "flavor", "c4.large",
                        "manager", "libvirt"), "share_of_wait", 0.6667, "cpus", "0")));
        assertThat(AlertJson.parse(AlertJson.toLine(firing))).as("the same after a trip through JSON")
                .isEqualTo(firing);
        Alert resolved = alerts.get(1);
        assertThat(resolved.state()).isEqualTo(AlertState.RESOLVED);
        assertThat(resolved.message()).doesNotContain("went to");
        assertThat(resolved.evidence()).doesNotContainKeys("antagonists", "held_since");
    }

    @Test
    void rulesWithoutAttributeWhenTakeNoCensus() throws Exception {
        List<Long> censuses = new ArrayList<>();
        RuleEngine engine = new RuleEngine(RulePack.fromTexts(Map.of("r.yaml", """
                rules:
                  - id: starved
                    title: t
                    category: starvation
                    severity: low
                    scope: vcpu
                    condition: wait_share > 0.5
                    message: "{{vm}} waits{{antagonists}}"
                """)), new AlertFactory("hv-1"), alerts::add, 2, firing -> { },
                new Attribution((t, vms) -> {
                    censuses.add(t);
                    return new CpuCensus(t, new long[2], List.of(), List.of());
                }, Attribution.DEFAULT_INTERVAL, Attribution.DEFAULT_INTERFERENCE_FLOOR, InterferenceSink.NONE));
        for (int i = 0; i <= 20; i++) {
            engine.onSchedstat(WEB, 0, i * SECOND, i * SECOND / 10, 9 * i * SECOND / 10, true);
            engine.onTick(i * SECOND);
        }
        assertThat(alerts).singleElement().satisfies(a -> assertThat(a.message()).isEqualTo("web waits"));
        assertThat(censuses).isEmpty();
    }
}
