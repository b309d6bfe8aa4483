package dev.hvwatch.agent.source.perf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.nativebind.Perf;
import dev.hvwatch.testkit.HostTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Counting on every CPU with a filter per member, on this machine's kernel. The IOMMU fault source counts
 * {@code iommu:io_page_fault} so, by its {@code device} string; that tracepoint never fires on a host without an
 * IOMMU, so the counts are shown moving here with one that fires on demand, {@code sched:sched_process_exec}, filtered
 * by its {@code filename} string: each test program's path is unique, so its count is exact while other processes on
 * the machine add to the leader's.
 */
class CpuCounterGroupsTest {
    private static final Path TRACEFS = Path.of("/sys/kernel/tracing");
    private static final Path EXEC = TRACEFS.resolve("events/sched/sched_process_exec");

    @TempDir
    Path dir;

    private long id;
    private int[] cpus;

    @BeforeEach
    void requireTracefs() throws Exception {
        HostTool.requireOnCi(Files.isReadable(EXEC.resolve("id")), "tracefs with sched events at " + TRACEFS);
        id = Long.parseLong(Files.readString(EXEC.resolve("id")).strip());
        cpus = CpuList.parse(Files.readString(Path.of("/sys/devices/system/cpu/online"))).toArray();
    }

    @Test
    void eachMemberCountsWhatItsFilterMatchesTheLeaderEverythingAndARemovedMemberKeepsItsCount() throws Exception {
        Path a = program("a");
        Path b = program("b");
        PerfEventOpener opener = new PerfEventOpener("test");
        try (CpuCounterGroups groups = CpuCounterGroups.open(opener, exec(null), cpus)) {
            assertThat(groups.add("a", exec(a))).isTrue();
            assertThat(groups.add("b", exec(b))).isTrue();
            assertThat(groups.descriptors()).isEqualTo(cpus.length * 3);

            run(a, 3);
            run(b, 2);
            groups.read();
            assertThat(groups.count("a")).isEqualTo(3);
            assertThat(groups.count("b")).isEqualTo(2);
            assertThat(groups.all()).as("every exec on every CPU, the test's among them").isGreaterThanOrEqualTo(5);
            assertThat(groups.unclaimed()).isEqualTo(groups.all() - 5);

            groups.remove("b");
            run(b, 1);
            run(a, 1);
            groups.read();
            assertThat(groups.count("b")).as("kept after removal; its later exec is nobody's").isEqualTo(2);
            assertThat(groups.count("a")).isEqualTo(4);
            assertThat(groups.unclaimed()).isEqualTo(groups.all() - 6);
            assertThat(groups.descriptors()).isEqualTo(cpus.length * 2);

            assertThat(groups.add("b", exec(b))).isTrue();
            run(b, 1);
            groups.read();
            assertThat(groups.count("b")).as("counts on from what it kept").isEqualTo(3);
            assertThat(groups.unclaimed()).isEqualTo(groups.all() - 7);
            assertThat(groups.readFailures()).isZero();
            assertThat(opener.failures()).isZero();
        }
    }

    @Test
    void aFilterTheKernelRefusesLeavesTheMemberOutAndIsCounted() throws Exception {
        PerfEventOpener opener = new PerfEventOpener("test");
        try (CpuCounterGroups groups = CpuCounterGroups.open(opener, exec(null), cpus)) {
            boolean added = groups.add("bad", new PerfEventSpec("sched:sched_process_exec", Perf.TYPE_TRACEPOINT, id,
                    "no_such_field == \"x\""));

            assertThat(added).isFalse();
            assertThat(opener.failures()).isEqualTo(1);
            assertThat(groups.keys()).isEmpty();
            assertThat(groups.descriptors()).isEqualTo(cpus.length);
            groups.read();
            assertThat(groups.readFailures()).isZero();
        }
    }

    private PerfEventSpec exec(Path program) {
        return new PerfEventSpec("sched:sched_process_exec", Perf.TYPE_TRACEPOINT, id,
                program == null ? null : "filename == \"" + program + "\"");
    }

    /** A copy of true(1) under a name no other process uses. */
    private Path program(String name) throws Exception {
        Path copy = dir.resolve("hvwatch-exec-" + name);
        Files.copy(Path.of("/bin/true"), copy, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwx------"));
        return copy;
    }

    private static void run(Path program, int times) throws Exception {
        for (int i = 0; i < times; i++) {
            Process p = new ProcessBuilder(program.toString()).start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
        }
    }
}
