package dev.hvwatch.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.hvwatch.agent.vm.Vm;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FairnessTest {
    private static final long SECOND = 1_000_000_000L;

    private static Vm vm(String name, int vcpus) {
        return new Vm(name.hashCode() & 0xffff, 1, name, "", vcpus, Optional.empty(), true, List.of());
    }

    /** One round of one second on two host CPUs. */
    private static Fairness round(List<Vm> vms, double... run) {
        return roundOn(new Fairness(2), vms, run);
    }

    @Test
    void equalSpinnersAreFair() {
        Vm a = vm("a", 1);
        Vm b = vm("b", 1);
        Fairness f = round(List.of(a, b), 0.5, 0.5);
        assertThat(f.index()).isCloseTo(1.0, offset(1e-9));
        assertThat(f.round(a).share()).isCloseTo(0.25, offset(1e-9)); // half a CPU of two
    }

    @Test
    void aLowWeightGuestLowersTheIndexAsComputedByHand() {
        // Shares 98.5% / 1.5% of the contended CPU, entitlement 1/2 each: x = 1.97 and 0.03,
        // Jain = (1.97 + 0.03)^2 / (2 * (1.97^2 + 0.03^2)) = 4 / 7.7636 = 0.51523
        Fairness f = round(List.of(vm("noisy", 1), vm("victim", 1)), 0.985, 0.015);
        assertThat(f.index()).isCloseTo(4 / (2 * (1.97 * 1.97 + 0.03 * 0.03)), offset(1e-6));
        assertThat(f.index()).isCloseTo(0.51523, offset(1e-5));
    }

    @Test
    void idleVmsAreLeftOutAndEntitlementFollowsVcpus() {
        Vm big = vm("big", 2);
        Vm small = vm("small", 1);
        Vm idle = vm("idle", 1);
        Fairness f = new Fairness(2);
        for (Vm v : List.of(big, small, idle)) {
            f.onSchedstat(v, 0, 0, 0);
        }
        f.onSchedstat(big, 1, 0, 0);
        f.onTick(0);
        // big runs 2 x 2/3 s, small 2/3 s: each got 2/3 of a CPU per vCPU, exactly their entitlement
        long twoThirds = 2 * SECOND / 3;
        f.onSchedstat(big, 0, twoThirds, SECOND - twoThirds);
        f.onSchedstat(big, 1, twoThirds, SECOND - twoThirds);
        f.onSchedstat(small, 0, twoThirds, SECOND - twoThirds);
        f.onSchedstat(idle, 0, 0, 0);
        f.onTick(SECOND);
        assertThat(f.index()).isCloseTo(1.0, offset(1e-6));
        assertThat(f.round(idle).share()).isZero();
    }

    @Test
    void cgroupWeightsAreEntitlementsSoAWeightedSplitIsFair() {
        Vm heavy = vm("heavy", 1);
        Vm light = vm("light", 1);
        Fairness f = new Fairness(1);
        f.onWeight(heavy, 200);
        f.onWeight(light, 100);
        Fairness fair = roundOn(f, List.of(heavy, light), 2.0 / 3, 1.0 / 3);
        assertThat(fair.index()).isCloseTo(1.0, offset(1e-9));
        assertThat(fair.round(heavy).entitlement()).isCloseTo(1.0, offset(1e-9));
        assertThat(fair.round(light).steal()).isCloseTo(2.0 / 3, offset(1e-9));
    }

    @Test
    void whatALimitedVmCannotTakeIsTheOthersEntitlement() {
        // One CPU, three spinners, "capped" limited to 0.1 CPU: the others are entitled to 0.45 each.
        Vm capped = vm("capped", 1);
        Vm a = vm("a", 1);
        Vm b = vm("b", 1);
        Fairness f = new Fairness(1);
        f.onLimit(capped, 0.1);
        f.onLimit(a, Double.POSITIVE_INFINITY);
        roundOn(f, List.of(capped, a, b), 0.1, 0.45, 0.45);
        assertThat(f.index()).isCloseTo(1.0, offset(1e-9));
        assertThat(f.round(b).entitlement()).isCloseTo(1.0, offset(1e-9));
    }

    @Test
    void aStarvedVcpuWhoseWaitArrivesInALumpIsStillSeenOverTheWindow() {
        // The kernel adds a thread's wait to its schedstat when it next runs: the victim shows nothing for four
        // rounds, then 4 s of waiting and 0.06 s of running. Over the window it is as starved as it was.
        Vm noisy = vm("noisy", 1);
        Vm victim = vm("victim", 1);
        Fairness f = new Fairness(1);
        f.onSchedstat(noisy, 0, 0, 0);
        f.onSchedstat(victim, 0, 0, 0);
        f.onTick(0);
        long noisyRun = 0;
        for (int round = 1; round <= 5; round++) {
            noisyRun += round == 5 ? SECOND - 60_000_000L : SECOND;
            f.onSchedstat(noisy, 0, noisyRun, 0);
            f.onSchedstat(victim, 0, round == 5 ? 60_000_000L : 0, round == 5 ? 4 * SECOND : 0);
            f.onTick(round * SECOND);
            if (round < 5) {
                assertThat(f.index()).as("round %d: only the noisy VM wanted CPU so far", round).isEqualTo(1.0);
            }
        }
        // Over 5 s: noisy ran 4.94 s, victim 0.06 s; x = 1.976 and 0.024
        assertThat(f.index()).isCloseTo(4 / (2 * (1.976 * 1.976 + 0.024 * 0.024)), offset(1e-9));
        assertThat(f.round(victim).share()).isCloseTo(0.012, offset(1e-9));
    }

    @Test
    void roundsOlderThanTheWindowNoLongerCount() {
        Vm a = vm("a", 1);
        Vm b = vm("b", 1);
        Fairness f = new Fairness(1);
        f.onSchedstat(a, 0, 0, 0);
        f.onSchedstat(b, 0, 0, 0);
        f.onTick(0);
        // First second: a takes everything; then 10 s of an even split push that second out of the window.
        f.onSchedstat(a, 0, SECOND, 0);
        f.onSchedstat(b, 0, 0, SECOND);
        f.onTick(SECOND);
        assertThat(f.index()).isCloseTo(0.5, offset(1e-9));
        for (int i = 1; i <= 10; i++) {
            f.onSchedstat(a, 0, SECOND + i * SECOND / 2, i * SECOND / 2);
            f.onSchedstat(b, 0, i * SECOND / 2, SECOND + i * SECOND / 2);
            f.onTick((i + 1) * SECOND);
        }
        assertThat(f.index()).isCloseTo(1.0, offset(1e-9));
        assertThat(f.round(a).steal()).isCloseTo(0.5, offset(1e-9));
    }

    /** One round of one second on {@code f}, in which each VM's vCPU 0 ran {@code run} and waited the rest. */
    private static Fairness roundOn(Fairness f, List<Vm> vms, double... run) {
        for (Vm v : vms) {
            f.onSchedstat(v, 0, 0, 0);
        }
        f.onTick(0);
        for (int i = 0; i < vms.size(); i++) {
            long r = (long) (run[i] * SECOND);
            f.onSchedstat(vms.get(i), 0, r, SECOND - r);
        }
        f.onTick(SECOND);
        return f;
    }
}
