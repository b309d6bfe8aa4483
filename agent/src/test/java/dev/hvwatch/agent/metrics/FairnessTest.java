package dev.hvwatch.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.hvwatch.agent.source.discovery.Vm;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FairnessTest {
    private static final long SECOND = 1_000_000_000L;

    private static Vm vm(String name, int vcpus) {
        return new Vm(name.hashCode() & 0xffff, 1, name, "", vcpus, Optional.empty(), true, List.of());
    }

    /** One round of one second in which each VM's vCPU 0 ran {@code run} and waited the rest. */
    private static Fairness round(List<Vm> vms, double... run) {
        Fairness f = new Fairness(2);
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
}
