package dev.hvwatch.agent.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.config.ConfigException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AlertRateLimitTest {
    private static final long SECOND = 1_000_000_000L;
    private static final String RULE = "vm-device-removed";
    private static final Vm WEB = vm(4242, "web");
    private static final Vm DB = vm(4343, "db");

    private final List<Alert> alerts = new ArrayList<>();

    /** The finding: a monitor sending DEVICE_DELETED with fresh ids 50 times a second, for a minute. */
    @Test
    void aFloodOfFreshDevicesRaisesTheBurstThenOneAlertPerIntervalAndEverySentAlertResolves() throws Exception {
        RuleEngine engine = new RuleEngine(RulePack.load(List.of()), new AlertFactory("hv-1"), alerts::add, 2);
        int deleted = 0;
        for (int s = 0; s < 60; s++) {
            for (int i = 0; i < 50; i++) {
                long t = s * SECOND + i * SECOND / 50;
                engine.onNotice(WEB, deviceDeleted("dev" + deleted++), t);
            }
            engine.onTick((s + 1) * SECOND);
        }
        List<Alert> firing = of(AlertState.FIRING);
        // Default: 10 at once, then one per 6 s: 10 + 59 s / 6 s = 19 (a token comes at 6, 12, … 54 s).
        assertThat(firing).hasSize(19);
        long heldBackFirings = deleted - firing.size();
        assertThat(engine.rateLimiter().suppressed(RULE)).isEqualTo(heldBackFirings);
        assertThat(firing.get(10).evidence()).as("the first alert after the burst reports what was held back")
                .containsEntry(RuleEngine.HELD_BACK_EVIDENCE, 6L * 50 - 10);
        assertThat(firing.subList(0, 10)).allSatisfy(a ->
                assertThat(a.evidence()).doesNotContainKey(RuleEngine.HELD_BACK_EVIDENCE));

        for (int s = 60; s < 180; s++) {
            engine.onTick(s * SECOND);
        }
        List<Alert> resolved = of(AlertState.RESOLVED);
        assertThat(resolved).extracting(Alert::device).as("every alert sent resolves, and only those")
                .containsExactlyInAnyOrderElementsOf(firing.stream().map(Alert::device).toList());
        assertThat(engine.rateLimiter().suppressed(RULE)).as("held-back firings and their resolutions")
                .isEqualTo(2 * heldBackFirings);
    }

    @Test
    void eachVmHasItsOwnBucket() throws Exception {
        RuleEngine engine = new RuleEngine(RulePack.load(List.of()), new AlertFactory("hv-1"), alerts::add, 2);
        for (int i = 0; i < 30; i++) {
            engine.onNotice(WEB, deviceDeleted("web" + i), i * SECOND / 100);
        }
        engine.onNotice(DB, deviceDeleted("db0"), SECOND);
        assertThat(of(AlertState.FIRING)).filteredOn(a -> a.vm().name().equals("web")).hasSize(10);
        assertThat(of(AlertState.FIRING)).filteredOn(a -> a.vm().name().equals("db")).hasSize(1);
    }

    @Test
    void aResolutionOfAnAlertSentIsSentEvenWithAnEmptyBucketAndReportsWhatWasHeldBack() throws Exception {
        RuleEngine engine = new RuleEngine(pack("{burst: 1, every: 1h}"), new AlertFactory("hv-1"), alerts::add, 2);
        engine.onNotice(WEB, deviceDeleted("a"), 0);
        engine.onNotice(WEB, deviceDeleted("b"), SECOND);
        engine.onNotice(WEB, deviceDeleted("c"), 2 * SECOND);
        engine.onTick(90 * SECOND);
        assertThat(alerts).extracting(Alert::device, Alert::state)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a", AlertState.FIRING),
                        org.assertj.core.groups.Tuple.tuple("a", AlertState.RESOLVED));
        assertThat(alerts.get(1).evidence()).containsEntry(RuleEngine.HELD_BACK_EVIDENCE, 2L);
        assertThat(engine.rateLimiter().suppressed(RULE)).isEqualTo(4);
    }

    @Test
    void aStoppedVmResolvesTheAlertsSentAndNoneHeldBack() throws Exception {
        RuleEngine engine = new RuleEngine(pack("{burst: 2, every: 1h}"), new AlertFactory("hv-1"), alerts::add, 2);
        engine.onSchedstat(WEB, 0, 0, 0, 0, true);
        for (int i = 0; i < 5; i++) {
            engine.onNotice(WEB, deviceDeleted("d" + i), i * SECOND);
        }
        engine.onVmStopped(WEB, 10 * SECOND);
        Map<String, List<AlertState>> byDevice = new HashMap<>();
        alerts.forEach(a -> byDevice.computeIfAbsent(a.device(), d -> new ArrayList<>()).add(a.state()));
        assertThat(byDevice).containsOnlyKeys("d0", "d1").allSatisfy((d, states) ->
                assertThat(states).containsExactly(AlertState.FIRING, AlertState.RESOLVED));
    }

    @Test
    void aRateLimitThatAllowsNothingIsRefusedWithItsLine() {
        assertThatThrownBy(() -> pack("{burst: 0, every: 1m}")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("test.yaml line 10: rule vm-device-removed: rate_limit needs a burst of at "
                        + "least 1");
        assertThatThrownBy(() -> pack("{burst: 3, every: 1m, per: 1h}")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("per");
    }

    private List<Alert> of(AlertState state) {
        return alerts.stream().filter(a -> a.rule().equals(RULE) && a.state() == state).toList();
    }

    private static RulePack pack(String rateLimit) throws ConfigException {
        return RulePack.fromTexts(Map.of("test.yaml", """
                rules:
                  - id: vm-device-removed
                    title: Device removed from a VM
                    category: posture
                    severity: low
                    scope: notice
                    match: vm.device_removed
                    group_by: [vm, device]
                    condition: count_over(1m) >= 1
                    rate_limit: %s
                    resolve: count_over(1m) == 0
                    message: "Device {{device}} was removed from VM {{vm}}"
                """.formatted(rateLimit)));
    }

    private static Notice deviceDeleted(String device) {
        return new Notice("vm.device_removed", device, Map.of(), "device " + device + " deleted");
    }

    private static Vm vm(long pid, String name) {
        return new Vm(pid, 7, name, "", 1, Optional.empty(), true, List.of("qemu-system-x86_64"));
    }
}
