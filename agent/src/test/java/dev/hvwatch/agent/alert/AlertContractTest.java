package dev.hvwatch.agent.alert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.rules.RuleEngine;
import dev.hvwatch.agent.rules.RulePack;
import dev.hvwatch.agent.rules.RuleSpec;
import dev.hvwatch.agent.source.VmLifecycle;
import dev.hvwatch.agent.vm.Tenancy;
import dev.hvwatch.agent.vm.Tenant;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.kmsg.KernelLogClassifier;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureSource;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertSchemaCheck;
import dev.hvwatch.protocol.Category;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The alerts the agent really builds follow the published schema: the default rule pack's engine, fed with notices
 * that the sources' own code builds from real inputs (kernel log lines, a failed posture check, lifecycle events),
 * and with vCPU and agent figures, raises alerts of every category and one for every notice kind a default rule
 * matches; each validates against {@code alert.schema.json}, and its evidence against the schema's facts of its
 * notice kind.
 */
class AlertContractTest {
    private static final long SECOND = 1_000_000_000L;
    private static final KernelLogClassifier KMSG = new KernelLogClassifier();

    private final Vm web = tenantVm();
    private final List<Alert> alerts = new ArrayList<>();

    private RuleEngine engine() throws Exception {
        return new RuleEngine(RulePack.load(List.of()), new AlertFactory("hv-1"), alerts::add, 2);
    }

    /** One notice of each kind the default pack matches, built by the code that builds it in production. */
    private Map<String, Notice> noticesByKind() {
        Map<String, Notice> notices = new LinkedHashMap<>();
        for (Notice n : List.of(
                kmsg("DMAR: [DMA Read NO_PASID] Request device [3b:00.0] fault addr 0x7fe00000 [fault reason 0x06] "
                        + "PTE Read access is not set"),
                kmsg("dmar_fault: 42 callbacks suppressed"),
                kmsg("kvm_intel: vmwrite error: reg 6c10 value ffffffff82e01000 (err 12)"),
                kmsg("EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0)"),
                PostureSource.notice(Outcome.fail("cpu-overcommit", null,
                        "The VMs have 12 vCPUs on 4 host CPUs (3.0 per CPU, limit 2.0).",
                        "Move VMs to other hosts or lower posture.cpuOvercommitRatio's excess.",
                        Map.of("vcpus", 12, "host_cpus", 4, "ratio", 3.0))),
                VmLifecycle.started(web),
                VmLifecycle.stopped(web.name(), "destroyed", "host", "libvirt"),
                VmLifecycle.crashed(web.name(), "panicked", "libvirt"),
                VmLifecycle.paused(web.name(), "io-error", "qmp"),
                VmLifecycle.resumed(web.name(), "unpaused", "libvirt"),
                VmLifecycle.migrated(web.name(), "in", "libvirt"),
                VmLifecycle.restored(web.name(), "snapshot", "libvirt"),
                VmLifecycle.rebooted(web.name(), "qmp"),
                VmLifecycle.deviceAdded(web.name(), "hostdev0", Map.of("driver", "vfio-pci"), "qmp"),
                VmLifecycle.deviceRemoved(web.name(), "net1", Map.of(), "libvirt"),
                VmLifecycle.configChanged(web.name(), "updated",
                        Map.of("domain", web.name(), "uuid", web.uuid()), "libvirt"))) {
            notices.put(n.type(), n);
        }
        return notices;
    }

    @Test
    void everyNoticeKindTheDefaultPackMatchesBecomesAnAlertThatFollowsTheSchema() throws Exception {
        Set<String> matched = new TreeSet<>();
        for (RuleSpec rule : RulePack.load(List.of()).specs()) {
            if (rule.match() != null) {
                matched.add(rule.match());
            }
        }
        Map<String, Notice> notices = noticesByKind();
        assertThat(notices.keySet()).as("a notice for every kind a default rule matches")
                .containsExactlyInAnyOrderElementsOf(matched);
        assertThat(AlertSchemaCheck.noticeKinds()).as("the schema describes the facts of every matched kind")
                .containsExactlyInAnyOrderElementsOf(matched);

        for (Map.Entry<String, Notice> kind : notices.entrySet()) {
            alerts.clear();
            Vm subject = kind.getKey().startsWith("vm.") ? web : null;
            engine().onNotice(subject, kind.getValue(), 5 * SECOND);
            assertThat(alerts).as("alerts for a " + kind.getKey() + " notice").isNotEmpty();
            for (Alert alert : alerts) {
                String json = AlertJson.toLine(alert);
                AlertSchemaCheck.assertValid(json);
                assertThat(AlertSchemaCheck.noticeProblems(kind.getKey(),
                        AlertJson.mapper().readTree(json).get("evidence"))).as(json).isEmpty();
            }
        }
    }

    @Test
    void alertsOfEveryCategoryFollowTheSchema() throws Exception {
        RuleEngine engine = engine();
        Map<String, Notice> notices = noticesByKind();
        engine.onNotice(null, notices.get("iommu.fault"), SECOND);
        engine.onNotice(null, notices.get("kvm.error"), SECOND);
        engine.onNotice(null, notices.get("posture.finding"), SECOND);
        Series sourcesDown = new Series("hvwatch_agent_sources_down", "sources down", null, false, Map.of());
        engine.onSchedstat(web, 0, 0, 0, 0, true);
        for (int i = 1; i <= 70; i++) {
            engine.onSchedstat(web, 0, i * SECOND, i * SECOND / 10, i * 9 * SECOND / 10, true);
            engine.onSample(null, -1, sourcesDown, 1);
            engine.onTick(i * SECOND);
        }

        Set<Category> seen = EnumSet.noneOf(Category.class);
        for (Alert alert : alerts) {
            AlertSchemaCheck.assertValid(alert);
            seen.add(alert.category());
        }
        assertThat(seen).containsExactlyInAnyOrder(Category.values());
        assertThat(alerts).filteredOn(a -> a.vm() != null && a.category() == Category.STARVATION).first()
                .satisfies(a -> assertThat(a.vm().project()).as("tenant fields are in the checked JSON")
                        .isEqualTo("web-shop"));
    }

    private static Notice kmsg(String line) {
        return KMSG.classify(line).orElseThrow(() -> new AssertionError("not classified: " + line));
    }

    private static Vm tenantVm() {
        Tenancy tenancy = new Tenancy();
        tenancy.set(new Tenant("shop-frontend", "web-shop", "4c2e6a5b-9d1f-4e3a-8b7c-2a1d0e9f8c7b", "alice",
                "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "m1.small", null));
        return new Vm(4242, 7, "instance-0000002a", "9b2d3c4e-1111-4222-8333-944455556666", 1, Optional.empty(), true,
                List.of("qemu-system-x86_64", "-name", "guest=instance-0000002a"), Vm.LIBVIRT, tenancy);
    }
}
