package dev.hvwatch.agent.rules.attribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hvwatch.agent.rules.expr.NeighbourQuery;
import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.census.CensusTaker;
import dev.hvwatch.agent.source.census.CpuCensus;
import dev.hvwatch.agent.source.census.CpuCensus.VcpuTime;
import dev.hvwatch.agent.vm.Vm;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When attribution reads, what it keeps, and what it tells the metrics and the noisy-neighbour rule. */
class AttributionTest {
    private static final long S = 1_000_000_000L;
    private static final Vm VICTIM = vm(100, "victim");
    private static final Vm HOG = vm(200, "hog");
    private static final Vm MILD = vm(300, "mild");
    private static final List<Vm> VMS = List.of(VICTIM, HOG, MILD);

    /**
     * One CPU shared at steady rates, per second: the victim runs 0.1 s and waits 0.9 s, hog runs 0.855 s and mild
     * 0.045 s (5% of the victim's wait). Counts the censuses it is asked for.
     */
    private static final class SteadyHost implements CensusTaker {
        final List<Long> takenAt = new ArrayList<>();
        boolean failing;
        /** Until then the victim's QEMU has not started: censuses see only hog and mild. */
        long victimFrom = Long.MIN_VALUE;

        @Override
        public CpuCensus take(long timeNanos, Collection<Vm> vms) throws IOException {
            if (failing) {
                throw new IOException("/proc/stat: Permission denied");
            }
            takenAt.add(timeNanos / S);
            double t = timeNanos / (double) S;
            CpuList cpu0 = CpuList.parse("0");
            List<VcpuTime> vcpus = new ArrayList<>(List.of(
                    new VcpuTime(HOG, 0, 2001, (long) (0.855 * t * S), 0, cpu0),
                    new VcpuTime(MILD, 0, 3001, (long) (0.045 * t * S), 0, cpu0)));
            if (timeNanos >= victimFrom) {
                vcpus.add(0, new VcpuTime(VICTIM, 0, 1001, (long) (0.1 * t * S), (long) (0.9 * t * S), cpu0));
            }
            return new CpuCensus(timeNanos, new long[] {(long) (t * S)}, vcpus, List.of());
        }
    }

    /** Records the interference series' increments. */
    private static final class Series implements InterferenceSink {
        final Map<String, Double> seconds = new LinkedHashMap<>();
        final List<Vm> forgotten = new ArrayList<>();

        @Override
        public void add(Vm victim, Vm antagonist, double s) {
            seconds.merge(victim.name() + "<-" + antagonist.name(), s, Double::sum);
        }

        @Override
        public void forget(Vm vm) {
            forgotten.add(vm);
        }
    }

    private final SteadyHost host = new SteadyHost();
    private final Series series = new Series();
    private final Attribution attribution = new Attribution(host, Duration.ofSeconds(5), 0.1, series);

    @Test
    void nothingIsReadWhileNoRuleIsNearItsThreshold() {
        attribution.configure(10 * S, List.of());
        for (int t = 1; t <= 100; t++) {
            attribution.onTick(t * S, VMS);
        }
        assertThat(host.takenAt).isEmpty();
        assertThat(attribution.explain(VICTIM, 0, 10 * S, 101 * S, VMS))
                .as("fired without having been near: one census now, none to compare with").isNull();
        assertThat(host.takenAt).containsExactly(101L);
        assertThat(attribution.unexplained()).as("counted").isEqualTo(1);
    }

    @Test
    void armedItTakesACensusAtOnceThenEveryIntervalAndExplainsTheRulesWindow() {
        attribution.configure(10 * S, List.of());
        for (int t = 1; t <= 19; t++) {
            attribution.arm(t * S);
            attribution.onTick(t * S, VMS);
        }
        assertThat(host.takenAt).containsExactly(1L, 6L, 11L, 16L);
        Explanation x = attribution.explain(VICTIM, 0, 10 * S, 20 * S, VMS);
        assertThat(host.takenAt).containsExactly(1L, 6L, 11L, 16L, 20L);
        // the newest census at least 10 s old is the one at 6 s: 14 s of 0.9 s waited per second
        assertThat(x.waitSeconds()).isCloseTo(14 * 0.9, within(1e-6));
        assertThat(x.antagonists()).extracting(a -> a.vm().name()).containsExactly("hog", "mild");
        assertThat(x.antagonists().get(0).share()).isCloseTo(0.95, within(1e-6));
        assertThat(x.hostShare()).isCloseTo(0, within(1e-6));
        assertThat(attribution.censusesTaken()).isEqualTo(5);
        assertThat(attribution.unexplained()).isZero();
    }

    /**
     * Another VM armed attribution before the victim started (so the census a window back predates it): the
     * explanation starts at the first census that saw the victim instead of finding nothing to compare.
     */
    @Test
    void aVictimYoungerThanTheWindowIsExplainedFromItsFirstCensus() {
        attribution.configure(10 * S, List.of());
        host.victimFrom = 5 * S;
        for (int t = 1; t <= 14; t++) {
            attribution.arm(t * S);
            attribution.onTick(t * S, VMS);
        }
        assertThat(host.takenAt).containsExactly(1L, 6L, 11L);
        Explanation x = attribution.explain(VICTIM, 0, 10 * S, 15 * S, VMS);
        assertThat(x).as("explained from the census of 6 s, the first with the victim").isNotNull();
        assertThat(x.waitSeconds()).isCloseTo(9 * 0.9, within(1e-6));
        assertThat(x.antagonists()).extracting(a -> a.vm().name()).containsExactly("hog", "mild");
    }

    @Test
    void onceNothingIsNearForAWindowEverythingIsDroppedAndRoundsReadNothing() {
        attribution.configure(10 * S, List.of());
        attribution.arm(S);
        attribution.onTick(S, VMS);
        for (int t = 2; t <= 60; t++) {
            attribution.onTick(t * S, VMS);
        }
        assertThat(host.takenAt).containsExactly(1L);
        assertThat(attribution.explain(VICTIM, 0, 10 * S, 61 * S, VMS))
                .as("the census of 1 s is older than the window plus an interval: dropped").isNull();
    }

    @Test
    void aCensusThatFailsLeavesTheAlertWithoutAttributionAndIsCounted() {
        attribution.configure(10 * S, List.of());
        host.failing = true;
        attribution.arm(S);
        attribution.onTick(S, VMS);
        assertThat(attribution.explain(VICTIM, 0, 10 * S, 12 * S, VMS)).isNull();
        assertThat(attribution.censusesFailed()).isEqualTo(2);
        assertThat(attribution.censusesTaken()).isZero();
    }

    /**
     * The fire-time census failed (or missed the victim's QEMU as it ended a thread): the latest census that saw the
     * victim, less than two intervals old, ends the explanation instead of leaving the alert without one.
     */
    @Test
    void aFireTimeCensusThatFailsIsStoodInForByTheLatestWithinAnInterval() {
        attribution.configure(10 * S, List.of());
        for (int t = 1; t <= 19; t++) {
            attribution.arm(t * S);
            attribution.onTick(t * S, VMS);
        }
        host.failing = true;
        Explanation x = attribution.explain(VICTIM, 0, 10 * S, 20 * S, VMS);
        assertThat(x).as("explained from the censuses of 6 s and 16 s").isNotNull();
        assertThat(x.waitSeconds()).isCloseTo(10 * 0.9, within(1e-6));
        assertThat(x.antagonists()).extracting(a -> a.vm().name()).containsExactly("hog", "mild");
        assertThat(attribution.explain(VICTIM, 0, 10 * S, 27 * S, VMS))
                .as("the census of 16 s is more than two intervals older than 27 s: no stand-in").isNull();
    }

    /**
     * Each interval of 5 s: the victim waited 4.5 s, hog caused 95% of it (4.275 s), mild 5%: under the 10% floor, so
     * mild's pair gets no series.
     */
    @Test
    void interferenceSeriesAreKeptForPairsAboveTheFloor() {
        attribution.configure(10 * S, List.of());
        for (int t = 1; t <= 11; t++) {
            attribution.arm(t * S);
            attribution.onTick(t * S, VMS);
        }
        assertThat(series.seconds).containsOnlyKeys("victim<-hog");
        assertThat(series.seconds.get("victim<-hog")).isCloseTo(2 * 4.5 * 0.95, within(1e-6));
        attribution.onVmStopped(HOG);
        assertThat(series.forgotten).containsExactly(HOG);
    }

    @Test
    void neighboursSlowedCountsTheVictimsAVmCausedMoreThanTheShareOf() {
        attribution.configure(10 * S, List.of(new NeighbourQuery(7, 0.5, 60 * S), new NeighbourQuery(8, 0.99, 60 * S)));
        for (int t = 1; t <= 12; t++) {
            attribution.arm(t * S);
            attribution.onTick(t * S, VMS);
        }
        assertThat(attribution.neighboursSlowed(HOG, 0)).isEqualTo(1);
        assertThat(attribution.neighboursSlowed(HOG, 1)).as("95% is not more than 99%").isZero();
        assertThat(attribution.neighboursSlowed(MILD, 0)).isZero();
        assertThat(attribution.slowedBy(HOG, 0, 12 * S)).singleElement().satisfies(s -> {
            assertThat(s.vm()).isSameAs(VICTIM);
            assertThat(s.share()).isCloseTo(0.95, within(1e-6));
        });
        assertThat(attribution.slowedEvidence(HOG, 0, 12 * S)).as("the noisy-neighbour alert's evidence.slowed")
                .containsExactly(Map.of("vm", Map.of("name", "victim", "uuid", "", "pid", 100, "manager", "qemu"), "share_of_wait", 0.95));
        for (int t = 13; t <= 80; t++) {
            attribution.onTick(t * S, VMS);
        }
        assertThat(attribution.neighboursSlowed(HOG, 0)).as("the intervals left the minute's window").isZero();
    }

    private static Vm vm(long pid, String name) {
        return new Vm(pid, 1, name, "", 1, Optional.empty(), true, List.of());
    }
}
