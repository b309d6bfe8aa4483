package dev.hvwatch.agent.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.source.discovery.Vm;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Category;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StarvationRuleTest {
    private static final long SECOND = 1_000_000_000L;
    private static final Vm VM = new Vm(4242, 77, "victim", "9b2d3c4e-1111-4222-8333-944455556666", 1,
            Optional.empty(), true, List.of("qemu-system-x86_64"));

    private final List<Alert> alerts = new ArrayList<>();
    private final StarvationRule rule = new StarvationRule(
            new AgentConfig.Starvation(0.8, 0.3, Duration.ofSeconds(2), 0.05), new AlertFactory("host-a"), alerts::add);

    private long t;
    private long run;
    private long wait;

    /** One sampling interval of one second in which the vCPU waited {@code share} of its runnable time. */
    private void second(double share) {
        t += SECOND;
        wait += (long) (share * SECOND);
        run += (long) ((1 - share) * SECOND);
        rule.onSchedstat(VM, 0, 4243, t, run, wait, true);
    }

    @Test
    void firesOnlyAfterTheShareHoldsForTheConfiguredDuration() {
        rule.onSchedstat(VM, 0, 4243, t, run, wait, true); // baseline
        second(0.9);
        assertThat(alerts).isEmpty(); // 1 s of breach < 2 s
        second(0.9);
        assertThat(alerts).singleElement().satisfies(a -> {
            assertThat(a.state()).isEqualTo(AlertState.FIRING);
            assertThat(a.rule()).isEqualTo("vcpu-starvation");
            assertThat(a.category()).isEqualTo(Category.STARVATION);
            assertThat(a.nist()).containsExactly("HY-SR-5");
            assertThat(a.vm().name()).isEqualTo("victim");
            assertThat(a.vm().uuid()).isEqualTo(VM.uuid());
            assertThat(a.vcpu()).isZero();
            assertThat(a.evidence()).containsEntry("wait_share", 0.9).containsEntry("fire_threshold", 0.8)
                    .containsEntry("breach_seconds", 2.0);
            assertThat(a.message()).contains("vCPU 0 of VM victim").contains("90%");
        });
    }

    @Test
    void aDipBelowTheFireThresholdRestartsTheHoldTime() {
        rule.onSchedstat(VM, 0, 4243, t, run, wait, true);
        second(0.9);
        second(0.5);
        second(0.9);
        assertThat(alerts).isEmpty();
        second(0.9);
        assertThat(alerts).hasSize(1);
    }

    @Test
    void hysteresisKeepsFiringBetweenTheThresholdsAndResolvesBelowTheLowerOne() {
        rule.onSchedstat(VM, 0, 4243, t, run, wait, true);
        second(0.95);
        second(0.95);
        assertThat(alerts).hasSize(1);
        second(0.5); // below fire, above resolve: still firing, no new alert
        second(0.79);
        second(0.31);
        assertThat(alerts).hasSize(1);
        second(0.1);
        assertThat(alerts).hasSize(2);
        assertThat(alerts.get(1).state()).isEqualTo(AlertState.RESOLVED);
        assertThat(alerts.get(1).evidence()).containsEntry("wait_share", 0.1);
        second(0.1);
        assertThat(alerts).hasSize(2); // resolved once
    }

    @Test
    void anIdleVcpuIsNotStarvedAndResolvesAFiringAlert() {
        rule.onSchedstat(VM, 0, 4243, t, run, wait, true);
        for (int i = 0; i < 5; i++) {
            t += SECOND;
            wait += SECOND / 100; // runnable only 1% of the time, and then always waiting
            rule.onSchedstat(VM, 0, 4243, t, run, wait, false);
        }
        assertThat(alerts).isEmpty();

        second(0.9);
        second(0.9);
        t += SECOND;
        rule.onSchedstat(VM, 0, 4243, t, run, wait, false); // the guest halted: sleeping, nothing accounted
        assertThat(alerts).extracting(Alert::state).containsExactly(AlertState.FIRING, AlertState.RESOLVED);
    }

    @Test
    void aRunnableThreadWithNothingCreditedYetIsNotNews() {
        rule.onSchedstat(VM, 0, 4243, t, run, wait, true);
        second(0.99);
        second(0.99);
        assertThat(alerts).hasSize(1);
        // Two seconds without being switched in: the kernel credits no wait until the thread runs again.
        t += SECOND;
        rule.onSchedstat(VM, 0, 4243, t, run, wait, true);
        t += SECOND;
        rule.onSchedstat(VM, 0, 4243, t, run, wait, true);
        assertThat(alerts).as("no resolution on an interval with no news").hasSize(1);
        t += SECOND;
        wait += 3 * SECOND - SECOND / 100; // switched in at last: the whole wait is credited at once
        run += SECOND / 100;
        rule.onSchedstat(VM, 0, 4243, t, run, wait, true);
        assertThat(alerts).hasSize(1);
    }

    @Test
    void aStoppedVmResolvesItsFiringAlertAndACounterResetRebases() {
        rule.onSchedstat(VM, 0, 4243, t, run, wait, true);
        second(0.9);
        second(0.9);
        rule.onVmStopped(VM, t + SECOND);
        assertThat(alerts).extracting(Alert::state).containsExactly(AlertState.FIRING, AlertState.RESOLVED);
        assertThat(alerts.get(1).evidence()).containsEntry("reason", "vm_stopped");

        run = 0;
        wait = 0;
        rule.onSchedstat(VM, 0, 5000, t + 2 * SECOND, run, wait, true); // new thread: counters restart
        second(0.0);
        assertThat(alerts).hasSize(2);
    }
}
