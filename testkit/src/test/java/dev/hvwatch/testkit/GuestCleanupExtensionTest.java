package dev.hvwatch.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedSuccessfully;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/** Runs {@link LeakyTests}, whose tests never close their guests, and checks nothing is left behind. */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
@Timeout(120)
class GuestCleanupExtensionTest {

    private static final List<QemuGuest> STARTED_BY_LEAKY_TESTS = new CopyOnWriteArrayList<>();
    private static volatile boolean leakyTestsLaunchedFromHere;

    @Test
    void guestsLeftRunningAreKilledAfterEachTestAndAfterTheClass() {
        RealKvm.require();

        EngineExecutionResults results;
        leakyTestsLaunchedFromHere = true;
        try {
            results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(LeakyTests.class)).execute();
        } finally {
            leakyTestsLaunchedFromHere = false;
        }

        results.testEvents().assertThatEvents()
                .haveExactly(1, event(test("leaksAGuestAndFails"), finishedWithFailure(message("failing on purpose"))))
                .haveExactly(1, event(test("leaksAGuestAndTimesOut"), finishedWithFailure(message(m -> m.contains("timed out")))))
                .haveExactly(1, event(test("onlyTheClassGuestOutlivesEarlierTests"), finishedSuccessfully()));
        results.containerEvents().assertStatistics(stats -> stats.failed(0));
        assertThat(STARTED_BY_LEAKY_TESTS).hasSize(4).allSatisfy(guest -> {
            assertThat(guest.isAlive()).as("%s alive", guest).isFalse();
            assertThat(Path.of("/proc", "" + guest.pid())).doesNotExist();
            assertThat(guest.qmpSocketPath().orElseThrow().getParent()).doesNotExist();
        });
    }

    private static QemuGuest startIdle(String name) throws IOException, InterruptedException {
        // The socket is only there to locate the guest's directory afterwards.
        QemuGuest guest = QemuGuest.builder().name(name).program(GuestProgram.IDLE).qmpSocket(true).start();
        STARTED_BY_LEAKY_TESTS.add(guest);
        guest.awaitVcpuThreads(Duration.ofSeconds(20));
        return guest;
    }

    /** Not a test of its own: surefire skips nested classes, and it aborts unless launched from above. */
    @ExtendWith(GuestCleanupExtension.class)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class LeakyTests {

        private static QemuGuest classGuest;
        private static QemuGuest failedTestGuest;
        private static QemuGuest timedOutTestGuest;

        @BeforeAll
        static void startAGuestForTheWholeClass() throws Exception {
            Assumptions.assumeTrue(leakyTestsLaunchedFromHere, "run by GuestCleanupExtensionTest only");
            classGuest = startIdle("class-scoped");
        }

        @Test
        @Order(1)
        void leaksAGuestAndFails() throws Exception {
            failedTestGuest = startIdle("leaked-by-failing-test");
            fail("failing on purpose");
        }

        @Test
        @Order(2)
        @Timeout(1)
        void leaksAGuestAndTimesOut() throws Exception {
            timedOutTestGuest = startIdle("leaked-by-timed-out-test");
            Thread.sleep(60_000);
        }

        @Test
        @Order(3)
        void onlyTheClassGuestOutlivesEarlierTests() throws Exception {
            startIdle("leaked-by-passing-test");

            assertThat(failedTestGuest.isAlive()).isFalse();
            assertThat(timedOutTestGuest.isAlive()).isFalse();
            assertThat(classGuest.isAlive()).isTrue();
        }
    }
}
