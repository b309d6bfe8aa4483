package dev.hvwatch.agent.source.census;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.source.census.CpuCensus.ProcessTime;
import dev.hvwatch.agent.source.census.CpuCensus.VcpuTime;
import dev.hvwatch.agent.vm.Vm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A census of a fixture proc tree in the kernel's formats (proc(5)), and of this machine's real /proc. */
class ProcCensusTest {
    private static final Vm WEB = new Vm(4242, 7, "web", "", 1, Optional.empty(), true, List.of());
    private static final long TICK = ProcCensus.NANOS_PER_TICK;

    @TempDir
    Path proc;

    @Test
    void readsCpusVcpuThreadsVmWorkAndHostProcesses() throws Exception {
        Files.writeString(proc.resolve("stat"), """
                cpu  300 1 150 5000 40 10 10 9 0 0
                cpu0 100 1 50 2000 20 5 5 7 0 0
                cpu1 200 0 100 3000 20 5 5 2 0 0
                intr 123 0 0
                ctxt 456
                """);
        qemu(100, 20, "0-1");
        thread(4242, 4250, "CPU 0/KVM", "5000 7000 12\n", "0");
        thread(4242, 4251, "IO mon_iothread", "900 0 3\n", "0-1");
        process(77, "vhost-4242", 3, 1, 2, "1");
        process(300, "stress) x\u001b\u202e", 10, 5, 3, "1");
        Path broken = Files.createDirectories(proc.resolve("666"));
        Files.writeString(broken.resolve("stat"), "666 (no-fields) S 1\n");

        ProcCensus census = new ProcCensus(proc);
        CpuCensus first = census.take(5_000, List.of(WEB));

        assertThat(first.timeNanos()).isEqualTo(5_000);
        // user + nice + system + irq + softirq: not idle (2000), iowait (20) or steal (7)
        assertThat(first.busyNanos()).containsExactly(161 * TICK, 310 * TICK);
        assertThat(first.vcpus()).containsExactly(new VcpuTime(WEB, 0, 4250, 5000, 7000, CpuList.parse("0")));
        assertThat(first.processes()).extracting(ProcessTime::pid).containsExactlyInAnyOrder(4242L, 77L, 300L);
        ProcessTime qemu = byPid(first, 4242);
        assertThat(qemu.vm()).isSameAs(WEB);
        assertThat(qemu.cpuNanos()).isEqualTo(120 * TICK);
        assertThat(qemu.allowed()).isEqualTo(CpuList.parse("0-1"));
        assertThat(byPid(first, 77).vm()).as("vhost-4242 works for the QEMU of pid 4242").isSameAs(WEB);
        ProcessTime hostile = byPid(first, 300);
        assertThat(hostile.vm()).isNull();
        assertThat(hostile.name()).as("name between the first '(' and the last ')', control and format characters "
                + "made harmless").isEqualTo("stress) x??");
        assertThat(hostile.allowed()).as("not read: no earlier census says it took CPU since").isNull();
        assertThat(census.errors()).as("the stat line without fields").isEqualTo(1);

        process(300, "stress) x\u001b\u202e", 60, 5, 3, "1");
        process(77, "vhost-4242", 3, 1, 2, "1");
        CpuCensus second = census.take(10_000, List.of(WEB));
        assertThat(byPid(second, 300).allowed()).as("it took CPU since the first census").isEqualTo(CpuList.parse("1"));
        assertThat(byPid(second, 300).cpuNanos()).isEqualTo(65 * TICK);
        assertThat(byPid(second, 77).allowed()).as("idle since: not read").isNull();
    }

    @Test
    void aRestartedPidIsAnotherProcessAndAVmProcessOfAnotherStartIsNotTheVms() throws Exception {
        Files.writeString(proc.resolve("stat"), "cpu0 1 0 1 1 0 0 0 0 0 0\n");
        process(4242, "qemu-system-x86", 1, 1, 99, "0");
        ProcCensus census = new ProcCensus(proc);
        CpuCensus c = census.take(1, List.of(WEB));
        assertThat(byPid(c, 4242).vm()).as("start time 99, not the VM's 7").isNull();
        assertThat(c.vcpus()).isEmpty();
    }

    /**
     * A QEMU thread that ends as it is read answers ESRCH rather than ENOENT; here a thread whose {@code comm} cannot
     * be read (a directory: EISDIR) stands for it. The VM keeps its other vCPU threads in the census instead of
     * vanishing from it, and the unreadable thread is counted.
     */
    @Test
    void aThreadThatCannotBeReadCostsOnlyThatThread() throws Exception {
        Files.writeString(proc.resolve("stat"), "cpu0 1 0 1 1 0 0 0 0 0 0\n");
        qemu(100, 20, "0");
        thread(4242, 4250, "CPU 0/KVM", "5000 7000 12\n", "0");
        Path ending = Files.createDirectories(proc.resolve("4242/task/4260"));
        Files.createDirectories(ending.resolve("comm"));
        CpuCensus c = new ProcCensus(proc).take(1, List.of(WEB));
        assertThat(c.vcpus()).containsExactly(new VcpuTime(WEB, 0, 4250, 5000, 7000, CpuList.parse("0")));
        assertThat(byPid(c, 4242).vm()).isSameAs(WEB);
    }

    /**
     * The kernel adds a wait to schedstat only when the thread gets a CPU: a vCPU starved outright shows no wait at
     * all while it lasts. From a census that saw it runnable, a thread that has not run since has waited since.
     */
    @Test
    void aVcpuStarvedOutrightHasWaitedSinceTheCensusThatSawItRunnable() throws Exception {
        long s = 1_000_000_000L;
        Files.writeString(proc.resolve("stat"), "cpu0 1 0 1 1 0 0 0 0 0 0\n");
        qemu(100, 20, "0");
        thread(4242, 4250, "CPU 0/KVM", "5000 7000 12\n", "0", 'R');
        thread(4242, 4251, "CPU 1/KVM", "5000 7000 12\n", "0", 'S');
        ProcCensus census = new ProcCensus(proc);
        assertThat(waits(census.take(s, List.of(WEB)))).containsExactly(7000L, 7000L);
        assertThat(waits(census.take(3 * s, List.of(WEB)))).as("vCPU 0 runnable and not run since; vCPU 1 asleep")
                .containsExactly(7000 + 2 * s, 7000L);
        assertThat(waits(census.take(4 * s, List.of(WEB)))).containsExactly(7000 + 3 * s, 7000L);

        thread(4242, 4250, "CPU 0/KVM", "5100 3000007000 13\n", "0", 'R');
        assertThat(waits(census.take(5 * s, List.of(WEB)))).as("it ran: schedstat now holds the wait it had pending")
                .containsExactly(3000007000L, 7000L);
        thread(4242, 4250, "CPU 0/KVM", "900005100 3000007000 13\n", "0", 'R');
        assertThat(waits(census.take(6 * s, List.of(WEB)))).as("on a CPU all along: its run time grew")
                .containsExactly(3000007000L, 7000L);
    }

    private static List<Long> waits(CpuCensus c) {
        return c.vcpus().stream().sorted(Comparator.comparingInt(VcpuTime::vcpu))
                .map(VcpuTime::waitNanos).toList();
    }

    @Test
    void aMissingOrMalformedCpuTableFailsTheCensusWithTheFile() throws Exception {
        ProcCensus census = new ProcCensus(proc);
        Files.writeString(proc.resolve("stat"), "intr 1\n");
        assertThatThrownBy(() -> census.take(1, List.of())).isInstanceOf(IOException.class)
                .hasMessageContaining("stat: no cpuN lines");
        Files.writeString(proc.resolve("stat"), "cpu0 1 2\n");
        assertThatThrownBy(() -> census.take(1, List.of())).isInstanceOf(IOException.class)
                .hasMessageContaining("not a 'cpuN user nice system idle iowait irq softirq");
    }

    @Test
    void theRealProcShowsThisJvmAndEveryOnlineCpu() throws Exception {
        long self = ProcessHandle.current().pid();
        ProcCensus census = new ProcCensus(Path.of("/proc"));
        CpuCensus first = census.take(0, List.of());
        busyLoop();
        CpuCensus second = census.take(1, List.of());
        assertThat(second.busyNanos()).hasSize(Runtime.getRuntime().availableProcessors());
        ProcessTime me = byPid(second, self);
        assertThat(me.name()).isEqualTo("java");
        assertThat(me.cpuNanos()).as("this JVM ran between the two").isGreaterThan(byPid(first, self).cpuNanos());
        assertThat(me.allowed()).isNotNull();
        assertThat(census.errors()).isZero();
    }

    /** About 50 ms of CPU, so that the JVM's clock-tick CPU time grows. */
    private static void busyLoop() {
        long end = System.nanoTime() + 50_000_000L;
        long x = 0;
        while (System.nanoTime() < end) {
            x += System.nanoTime() % 7;
        }
        assertThat(x).isNotNegative();
    }

    private static ProcessTime byPid(CpuCensus c, long pid) {
        return c.processes().stream().filter(p -> p.pid() == pid).findFirst().orElseThrow();
    }

    private void qemu(long utime, long stime, String allowed) throws IOException {
        process(4242, "qemu-system-x86", utime, stime, 7, allowed);
        thread(4242, 4242, "qemu-system-x86", "1 0 1\n", allowed);
    }

    private void process(long pid, String comm, long utime, long stime, long start, String allowed)
            throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.write(dir.resolve("stat"), statLine(pid, comm, utime, stime, start));
        Files.writeString(dir.resolve("status"), status(comm, allowed));
    }

    private void thread(long pid, long tid, String comm, String schedstat, String allowed) throws IOException {
        thread(pid, tid, comm, schedstat, allowed, 'S');
    }

    /** @param state the thread's state letter in its status file (R runnable, S sleeping) */
    private void thread(long pid, long tid, String comm, String schedstat, String allowed, char state)
            throws IOException {
        Path task = Files.createDirectories(proc.resolve(pid + "/task/" + tid));
        Files.writeString(task.resolve("comm"), comm + "\n");
        Files.writeString(task.resolve("schedstat"), schedstat);
        Files.writeString(task.resolve("status"), status(comm, allowed).replace("State:\tS (sleeping)",
                state == 'R' ? "State:\tR (running)" : "State:\tS (sleeping)"));
    }

    /** A {@code stat} line with all 52 fields, as Linux 6.x writes it. */
    private static byte[] statLine(long pid, String comm, long utime, long stime, long start) {
        return (pid + " (" + comm + ") S 1 " + pid + " " + pid + " 0 -1 4194560 100 0 0 0 " + utime + " " + stime
                + " 0 0 20 0 3 0 " + start + " 123456 789 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 "
                + "0 0 0 0 0 0 0 0 0 0\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String status(String name, String allowed) {
        return "Name:\t" + name + "\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1\nCpus_allowed:\tf\n"
                + "Cpus_allowed_list:\t" + allowed + "\nMems_allowed_list:\t0\n";
    }
}
