package dev.hvwatch.agent.source.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.vm.Vm;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcDiscoveryTest {
    private static final String[] QEMU_ARGV = {"/usr/bin/qemu-system-x86_64", "-accel", "kvm", "-smp", "2",
            "-name", "guest=web,,1,debug-threads=on", "-uuid", "11111111-2222-4333-8444-555555555555",
            "-qmp", "unix:/run/web.qmp,server=on,wait=off"};
    private static final String[] KVM_FDS = {"/dev/null", "/dev/kvm", "anon_inode:kvm-vm", "anon_inode:kvm-vcpu:0"};

    @TempDir
    Path dir;
    private FakeProc proc;
    private ProcDiscovery discovery;

    @BeforeEach
    void setUp() {
        proc = new FakeProc(dir);
        proc.process(1, 1, new String[] {"/sbin/init"}, new String[0], 1, "systemd")
                .process(2, 2, new String[0], new String[0], 2, "kthreadd")
                .process(300, 500, new String[] {"/usr/bin/qemu-img", "info", "x"}, new String[0], 300, "qemu-img");
        discovery = new ProcDiscovery(dir);
    }

    @Test
    void findsKvmGuestsWithTheirVcpuThreadsAndIgnoresOtherProcesses() throws Exception {
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 100, "qemu-system-x86", 101, "CPU 0/KVM", 102, "CPU 1/KVM",
                103, "IO mon_iothread", 104, "worker");

        ProcDiscovery.Changes changes = discovery.scan();

        assertThat(changes.stopped()).isEmpty();
        assertThat(changes.started()).singleElement().satisfies(w -> {
            Vm vm = w.vm();
            assertThat(vm.pid()).isEqualTo(100);
            assertThat(vm.name()).isEqualTo("web,1");
            assertThat(vm.uuid()).isEqualTo("11111111-2222-4333-8444-555555555555");
            assertThat(vm.kvm()).isTrue();
            assertThat(vm.qmpSocket()).contains(Path.of("/run/web.qmp"));
            assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 101L, 1, 102L));
        });
        assertThat(discovery.scan().started()).as("a known VM is not started twice").isEmpty();
    }

    /**
     * Any local user may name a process with bytes that are not UTF-8 ({@code prctl(PR_SET_NAME)}); its stat line
     * must not stop discovery, nor may a QEMU thread's name.
     */
    @Test
    void aProcessNamedWithBytesThatAreNotUtf8DoesNotStopDiscovery() throws Exception {
        Path hostile = Files.createDirectories(dir.resolve("400"));
        Files.write(hostile.resolve("stat"), concat("400 (".getBytes(StandardCharsets.US_ASCII),
                new byte[] {(byte) 0xff, (byte) 0xfe, 'x'}, (") S 1 400 400 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 1 0 "
                        + "777 1000 200 18446744073709551615\n").getBytes(StandardCharsets.US_ASCII)));
        Files.write(hostile.resolve("cmdline"), new byte[] {(byte) 0xff, 0});
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 100, "qemu-system-x86", 101, "CPU 0/KVM");
        Files.write(dir.resolve("100/task/100/comm"), new byte[] {(byte) 0xc3, '(', '\n'});

        assertThat(discovery.scan().started()).extracting(w -> w.vm().pid()).containsExactly(100L);
    }

    /** The same on this machine's /proc: a program whose file name is not UTF-8 runs under that name. */
    @Test
    void theRealProcWithSuchAProcessRunningIsScanned() throws Exception {
        Process named = new ProcessBuilder("sh", "-c", "cp /bin/sleep \"$(printf '%s/\\377\\376evil' \"$0\")\" && "
                + "exec \"$(printf '%s/\\377\\376evil' \"$0\")\" 30", dir.toString()).start();
        try {
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> {
                byte[] stat = Files.readAllBytes(Path.of("/proc/" + named.pid() + "/stat"));
                int name = Long.toString(named.pid()).length() + 2; // after "PID ("
                return stat.length > name && (stat[name] & 0xff) == 0xff;
            });
            assertThat(new ProcDiscovery(Path.of("/proc")).scan()).isNotNull();
        } finally {
            named.destroyForcibly().waitFor();
        }
    }

    /**
     * A QEMU worker thread that ends between the listing of its tasks and the read of its name answers ESRCH, not
     * ENOENT; here a task entry that loops (ELOOP, and gone for {@code Files.exists}) stands for it. The round goes on
     * and finds the vCPUs.
     */
    @Test
    void aThreadEndingAsItIsReadDoesNotFailTheRound() throws Exception {
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 100, "qemu-system-x86", 101, "CPU 0/KVM");
        Path task = dir.resolve("100/task/105");
        Files.createSymbolicLink(task, task.getFileName());

        assertThat(discovery.scan().started()).singleElement()
                .satisfies(w -> assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 101L)));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void noticesStopAndPidReuse() throws Exception {
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 101, "CPU 0/KVM");
        Vm first = discovery.scan().started().get(0).vm();

        proc.exit(100);
        ProcDiscovery.Changes afterExit = discovery.scan();
        assertThat(afterExit.stopped()).extracting(WatchedVm::vm).containsExactly(first);
        assertThat(discovery.watched()).isEmpty();

        proc.process(100, 9100, QEMU_ARGV, KVM_FDS, 101, "CPU 0/KVM");
        Vm second = discovery.scan().started().get(0).vm();
        proc.exit(100);
        proc.process(100, 9200, QEMU_ARGV, KVM_FDS, 105, "CPU 0/KVM");
        ProcDiscovery.Changes reuse = discovery.scan();
        assertThat(reuse.stopped()).extracting(WatchedVm::vm).containsExactly(second);
        assertThat(reuse.started()).singleElement().satisfies(w -> {
            assertThat(w.vm().startTicks()).isEqualTo(9200);
            assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 105L));
        });
    }

    @Test
    void vcpuThreadsThatAppearLaterAreFollowed() throws Exception {
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 100, "qemu-system-x86");
        WatchedVm w = discovery.scan().started().get(0);
        assertThat(w.vcpuThreads()).isEmpty();
        proc.thread(100, 101, "CPU 0/KVM");
        discovery.scan();
        assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 101L));
    }

    @Test
    void threadsNamedLateEndingOrStartingAreFollowed() throws Exception {
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 100, "qemu-system-x86", 101, "CPU 0/KVM",
                102, "qemu-system-x86");
        WatchedVm w = discovery.scan().started().get(0);
        assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 101L));

        proc.rename(100, 102, "CPU 1/KVM");
        discovery.scan();
        assertThat(w.vcpuThreads()).as("a thread still bearing the process's name is looked at again")
                .isEqualTo(Map.of(0, 101L, 1, 102L));
        discovery.scan();
        assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 101L, 1, 102L));

        proc.endThread(100, 101);
        discovery.scan();
        assertThat(w.vcpuThreads()).isEqualTo(Map.of(1, 102L));
        proc.thread(100, 103, "worker");
        proc.thread(100, 104, "CPU 2/KVM");
        discovery.scan();
        assertThat(w.vcpuThreads()).isEqualTo(Map.of(1, 102L, 2, 104L));
    }

    @Test
    void aSettledVmsThreadsAreListedAgainWhenTheirCountChangesAndAtLeastEvery30Rounds() throws Exception {
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 100, "qemu-system-x86", 101, "CPU 0/KVM", 102, "worker");
        WatchedVm w = discovery.scan().started().get(0);
        assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 101L));
        // Listed before the main thread (a directory's order), "worker" is looked at again once its name is known.
        discovery.scan();

        // One thread ends and one begins between two rounds: the count in stat stays 3.
        proc.endThread(100, 102);
        proc.thread(100, 103, "CPU 1/KVM");
        discovery.scan();
        assertThat(w.vcpuThreads()).as("the same count: not listed this round").isEqualTo(Map.of(0, 101L));
        for (int round = 2; round < 30; round++) {
            discovery.scan();
        }
        assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 101L));
        discovery.scan();
        assertThat(w.vcpuThreads()).as("listed by the 30th round").isEqualTo(Map.of(0, 101L, 1, 103L));

        proc.thread(100, 104, "CPU 2/KVM");
        discovery.scan();
        assertThat(w.vcpuThreads()).as("a new count: listed at once").isEqualTo(Map.of(0, 101L, 1, 103L, 2, 104L));
    }

    /** QEMU's RCU thread keeps the process's name for good: after a few looks it no longer makes every round list. */
    @Test
    void aThreadKeepingTheProcesssNameIsDecidedAfterAFewLooks() throws Exception {
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 100, "qemu-system-x86", 101, "qemu-system-x86", 102, "CPU 0/KVM");
        WatchedVm w = discovery.scan().started().get(0);
        discovery.scan();
        discovery.scan();

        proc.endThread(100, 102);
        proc.thread(100, 103, "CPU 1/KVM");
        discovery.scan();
        assertThat(w.vcpuThreads()).as("the same count, nothing undecided: not listed").isEqualTo(Map.of(0, 102L));
        proc.thread(100, 104, "CPU 2/KVM");
        discovery.scan();
        assertThat(w.vcpuThreads()).isEqualTo(Map.of(1, 103L, 2, 104L));
    }

    @Test
    void qemuWithoutKvmIsReportedAsEmulatedOnceItsVcpuThreadsExist() throws Exception {
        proc.process(200, 7000, new String[] {"qemu-system-x86_64", "-accel", "tcg", "-name", "slow"},
                new String[] {"/dev/null"}, 200, "qemu-system-x86");
        assertThat(discovery.scan().started()).as("QEMU may not have opened /dev/kvm yet").isEmpty();
        assertThat(discovery.scan().started()).isEmpty();
        proc.thread(200, 201, "CPU 0/TCG");
        assertThat(discovery.scan().started()).singleElement().satisfies(w -> {
            assertThat(w.vm().name()).isEqualTo("slow");
            assertThat(w.vm().kvm()).isFalse();
            assertThat(w.vm().uuid()).isEmpty();
            assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 201L));
        });
    }

    @Test
    void aSlowStartingKvmGuestIsNotMistakenForAnEmulatedOne() throws Exception {
        proc.process(100, 9000, QEMU_ARGV, new String[] {"/dev/null"}, 100, "qemu-system-x86");
        for (int i = 0; i < 3; i++) {
            assertThat(discovery.scan().started()).isEmpty();
        }
        proc.openFile(100, 4, "/dev/kvm").thread(100, 101, "CPU 0/KVM");
        assertThat(discovery.scan().started()).singleElement().satisfies(w -> assertThat(w.vm().kvm()).isTrue());
    }

    @Test
    void qemuThatNeverNamesItsThreadsIsDecidedAfterAFewLooks() throws Exception {
        proc.process(200, 7000, new String[] {"qemu-system-x86_64", "-accel", "tcg"}, new String[0], 200, "qemu-system-x86");
        int looks = 1;
        while (discovery.scan().started().isEmpty()) {
            looks++;
            assertThat(looks).isLessThanOrEqualTo(5);
        }
        assertThat(discovery.watched().get(200L).vm().name()).isEqualTo("qemu-200");
    }

    /**
     * libvirt forks the process that becomes a guest and runs its own code in it, under its own name, until it
     * executes QEMU; the start time stays. A look in between must not hide the guest for good.
     */
    @Test
    void aProcessLookedAtBeforeItExecutesQemuIsFoundOnceItDoes() throws Exception {
        proc.uptime(100); // 10,000 ticks since boot
        proc.process(600, 9_950, new String[] {"/usr/sbin/libvirtd", "--daemon"}, new String[0], 600, "rpc-libvirtd");
        assertThat(discovery.scan().started()).isEmpty();

        proc.exec(600, QEMU_ARGV, KVM_FDS, 600, "qemu-system-x86", 601, "CPU 0/KVM");
        assertThat(discovery.scan().started()).extracting(w -> w.vm().pid()).containsExactly(600L);
    }

    @Test
    void withProcessEventsARoundLooksOnlyAtTheProcessesTheyName() throws Exception {
        Reports reports = new Reports();
        ProcDiscovery following = new ProcDiscovery(dir, reports);
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 100, "qemu-system-x86", 101, "CPU 0/KVM");
        assertThat(following.scan().started()).as("the first round lists /proc").hasSize(1);

        proc.process(200, 9100, QEMU_ARGV, KVM_FDS, 200, "qemu-system-x86", 201, "CPU 0/KVM");
        assertThat(following.scan().started()).as("not named by a report: not looked at").isEmpty();
        reports.exec(200);
        assertThat(following.scan().started()).extracting(w -> w.vm().pid()).containsExactly(200L);

        proc.exit(100);
        assertThat(following.scan().stopped()).as("its end not reported yet").isEmpty();
        reports.end(100);
        assertThat(following.scan().stopped()).extracting(w -> w.vm().pid()).containsExactly(100L);
        assertThat(following.watched()).containsOnlyKeys(200L);
    }

    @Test
    void withProcessEventsAVmsThreadsAreListedWhenOneIsRenamedOrEnds() throws Exception {
        Reports reports = new Reports();
        ProcDiscovery following = new ProcDiscovery(dir, reports);
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 100, "qemu-system-x86", 101, "CPU 0/KVM");
        WatchedVm w = following.scan().started().get(0);
        proc.thread(100, 103, "qemu-system-x86");
        proc.rename(100, 103, "CPU 1/KVM");
        following.scan();
        assertThat(w.vcpuThreads()).as("not reported: not listed").isEqualTo(Map.of(0, 101L));

        reports.threadsChanged(100);
        following.scan();
        assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 101L, 1, 103L));
        proc.endThread(100, 101);
        reports.threadsChanged(100);
        following.scan();
        assertThat(w.vcpuThreads()).isEqualTo(Map.of(1, 103L));
    }

    @Test
    void withProcessEventsAThreadRenamedAfterItWasDecidedIsFollowed() throws Exception {
        Reports reports = new Reports();
        ProcDiscovery following = new ProcDiscovery(dir, reports);
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 100, "qemu-system-x86", 101, "CPU 0/KVM", 102, "qemu-system-x86");
        WatchedVm w = following.scan().started().get(0);
        following.scan();
        following.scan();

        proc.rename(100, 102, "CPU 1/KVM");
        following.scan();
        assertThat(w.vcpuThreads()).as("decided, and no report yet").isEqualTo(Map.of(0, 101L));
        reports.threadsChanged(100);
        following.scan();
        assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 101L, 1, 102L));
    }

    @Test
    void withProcessEventsAVmGoneBeforeItsEndIsReportedDoesNotFailTheRound() throws Exception {
        Reports reports = new Reports();
        ProcDiscovery following = new ProcDiscovery(dir, reports);
        proc.process(100, 9000, QEMU_ARGV, KVM_FDS, 100, "qemu-system-x86", 101, "CPU 0/KVM");
        following.scan();
        proc.exit(100);
        reports.threadsChanged(100);
        assertThat(following.scan().stopped()).as("its end comes in a later report").isEmpty();
        reports.end(100);
        assertThat(following.scan().stopped()).extracting(w -> w.vm().pid()).containsExactly(100L);
    }

    @Test
    void withProcessEventsAQemuNotDecidedYetIsLookedAtEachRound() throws Exception {
        Reports reports = new Reports();
        ProcDiscovery following = new ProcDiscovery(dir, reports);
        following.scan();
        proc.process(100, 9000, QEMU_ARGV, new String[] {"/dev/null"}, 100, "qemu-system-x86");
        reports.exec(100);
        assertThat(following.scan().started()).as("no /dev/kvm, no vCPU thread yet").isEmpty();

        proc.openFile(100, 4, "/dev/kvm").thread(100, 101, "CPU 0/KVM");
        assertThat(following.scan().started()).as("looked at again without a report")
                .singleElement().satisfies(w -> assertThat(w.vcpuThreads()).isEqualTo(Map.of(0, 101L)));
    }

    @Test
    void withProcessEventsLostReportsOrEnoughRoundsMakeARoundListProcInFull() throws Exception {
        Reports reports = new Reports();
        ProcDiscovery following = new ProcDiscovery(dir, reports);
        proc.process(600, 9000, new String[] {"/usr/sbin/libvirtd"}, new String[0], 600, "rpc-libvirtd");
        assertThat(following.scan().started()).isEmpty();

        proc.exec(600, QEMU_ARGV, KVM_FDS, 600, "qemu-system-x86", 601, "CPU 0/KVM");
        reports.lose();
        assertThat(following.scan().started()).as("its exec among the reports lost: every process looked at again")
                .extracting(w -> w.vm().pid()).containsExactly(600L);
        assertThat(following.eventOverflows()).isEqualTo(1);

        proc.process(700, 9500, QEMU_ARGV, KVM_FDS, 700, "qemu-system-x86", 701, "CPU 0/KVM");
        for (int round = 1; round < ProcDiscovery.FULL_SCAN_EVERY; round++) {
            assertThat(following.scan().started()).as("round %d", round).isEmpty();
        }
        assertThat(following.scan().started()).as("listed in full every %d rounds", ProcDiscovery.FULL_SCAN_EVERY)
                .extracting(w -> w.vm().pid()).containsExactly(700L);
    }

    /** The kernel's reports as a test gives them; each read hands over what was given since the last. */
    private static final class Reports implements ProcessEvents {
        private final List<Consumer<ProcessEventBatch>> given = new ArrayList<>();
        private boolean lost;
        private long overflows;

        void exec(long pid) {
            given.add(b -> b.execed(pid));
        }

        void end(long pid) {
            given.add(b -> b.ended(pid));
        }

        void threadsChanged(long pid) {
            given.add(b -> b.threadsChanged(pid));
        }

        void lose() {
            lost = true;
        }

        @Override
        public boolean readInto(ProcessEventBatch batch) {
            given.forEach(g -> g.accept(batch));
            given.clear();
            boolean complete = !lost;
            if (lost) {
                overflows++;
                lost = false;
            }
            return complete;
        }

        @Override
        public long overflows() {
            return overflows;
        }

        @Override
        public void close() {
        }
    }
}
