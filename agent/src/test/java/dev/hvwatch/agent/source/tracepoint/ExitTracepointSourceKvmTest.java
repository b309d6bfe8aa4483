package dev.hvwatch.agent.source.tracepoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hvwatch.agent.source.SourceRig;
import dev.hvwatch.nativebind.LibC;
import dev.hvwatch.nativebind.RLimit;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The tracepoint source on real QEMU/KVM guests, checked against the kernel's own counts as perf stat reads them. */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
class ExitTracepointSourceKvmTest {
    private static final Path TRACEFS = Path.of("/sys/kernel/tracing");
    private static final String TRACEPOINT_METRIC = "hvwatch.kvm.tracepoint.events";
    private static final Map<String, String> PIO = Map.of("tracepoint", "kvm_pio");
    /** SeaBIOS runs before the boot sector; on a busy 2-CPU host that can take tens of seconds. */
    private static final Duration BOOT = Duration.ofSeconds(120);

    private SourceRig rig;
    private ExitTracepointSource source;

    @BeforeEach
    void requireKvmAndTracefs() {
        RealKvm.require();
        RealKvm.requireHost(Files.isDirectory(TRACEFS.resolve("events/kvm")), "tracefs with kvm events at " + TRACEFS);
        rig = new SourceRig();
    }

    @AfterEach
    void closeSource() {
        if (source != null) {
            source.close();
        }
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void portIoRateOfAnIoStormAgreesWithPerfStat() throws Exception {
        Path perf = Path.of("/usr/bin/perf");
        RealKvm.requireHost(Files.isExecutable(perf), "perf (Debian linux-perf)");
        QemuGuest guest = start("tp-io", GuestProgram.IO_STORM, 1);
        source = new ExitTracepointSource(TRACEFS, Isa.detect(Path.of("/sys/module")), rig::watched, rig.ring);
        awaitPioRateAbove(guest, 5_000);

        int seconds = 3;
        long before = rig.round(source);
        Process perfStat = new ProcessBuilder(perf.toString(), "stat", "-e", "kvm:kvm_pio", "-p",
                Long.toString(guest.pid()), "-x,", "--", "sleep", Integer.toString(seconds))
                .redirectErrorStream(true).start();
        String perfOutput = new String(perfStat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(perfStat.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long after = rig.round(source);

        long perfCount = perfCount(perfOutput, "kvm:kvm_pio");
        long ours = pio(guest, after) - pio(guest, before);
        double perfRate = perfCount / (double) seconds;
        double ourRate = ours / ((after - before) / 1e9);
        System.out.printf("kvm_pio: perf stat %d in %d s = %.0f/s; source %d in %.3f s = %.0f/s%n", perfCount,
                seconds, perfRate, ours, (after - before) / 1e9, ourRate);
        // Both are the kernel's count of the same tracepoint on the same threads. The source's window encloses
        // perf's (read before perf starts, again after it exits), so it counts at least as many; the windows differ
        // by perf's start-up and exit, tens of milliseconds in seconds, so the rates agree within 15%.
        assertThat(perfCount).as("perf stat saw the storm").isGreaterThan(1_000L * seconds);
        assertThat(ours).isGreaterThanOrEqualTo(perfCount);
        assertThat(ourRate).isCloseTo(perfRate, within(0.15 * perfRate));
        assertThat(source.errors()).isZero();
    }

    @Test
    void aSpinningGuestMakesNoPortIo() throws Exception {
        QemuGuest guest = start("tp-spin", GuestProgram.CPU_SPIN, 1);
        source = new ExitTracepointSource(TRACEFS, Isa.detect(Path.of("/sys/module")), rig::watched, rig.ring);
        // The BIOS does port I/O while it boots, in bursts up to a second or more apart on this busy host; the boot
        // sector's loop does none. Wait until the count has not moved for 5 s.
        long deadline = System.nanoTime() + BOOT.toNanos();
        long previous = -1;
        int quietSeconds = 0;
        while (quietSeconds < 5) {
            assertThat(System.nanoTime()).as("port I/O of the spinning guest settles").isLessThan(deadline);
            long now = pio(guest, rig.round(source));
            quietSeconds = now > 0 && now == previous ? quietSeconds + 1 : 0;
            previous = now;
            Thread.sleep(1000);
        }

        long before = rig.round(source);
        Thread.sleep(3000);
        long after = rig.round(source);

        assertThat(pio(guest, after) - pio(guest, before)).as("port I/O exits in 3 s of spinning").isLessThan(10);
    }

    @Test
    void countsStopAndEveryDescriptorIsClosedWhenTheGuestIsKilled() throws Exception {
        long descriptorsBefore = SourceRig.perfEventDescriptors();
        QemuGuest guest = start("tp-kill", GuestProgram.IO_STORM, 2);
        source = new ExitTracepointSource(TRACEFS, Isa.detect(Path.of("/sys/module")), rig::watched, rig.ring);
        awaitPioRateAbove(guest, 1_000);

        int perThread = eventsPerThread(Isa.detect(Path.of("/sys/module")));
        assertThat(source.descriptors()).isEqualTo(2 * perThread);
        assertThat(SourceRig.perfEventDescriptors()).isEqualTo(descriptorsBefore + 2 * perThread);

        guest.close();
        long afterKill = rig.round(source);

        assertThat(source.descriptors()).isZero();
        assertThat(SourceRig.perfEventDescriptors()).isEqualTo(descriptorsBefore);
        rig.round(source);
        rig.capture.awaitRound(rig.round(source));
        assertThat(rig.capture.ofVmSince(guest.pid(), afterKill)).as("samples after the guest is gone").isEmpty();
    }

    /** kvm_exit never fires on this host, but the kernel checks each reason's filter when it is set. */
    @ParameterizedTest
    @EnumSource(value = Isa.class, names = {"VMX", "SVM"})
    void theKernelAcceptsTheFilterOfEveryExitReason(Isa isa) throws Exception {
        QemuGuest guest = start("tp-" + isa, GuestProgram.IDLE, 2);
        source = new ExitTracepointSource(TRACEFS, isa, rig::watched, rig.ring);
        rig.round(source);

        int perThread = eventsPerThread(isa);
        assertThat(perThread).isGreaterThan(60);
        assertThat(source.descriptors()).isEqualTo(2 * perThread);
        rig.round(source);
        assertThat(source.errors()).as("refused events and failed group reads").isZero();
        guest.close();
    }

    @Test
    void raisesTheOpenFileLimitWhenDescriptorsRunOut() throws Exception {
        LibC libc = LibC.load();
        RLimit original = new RLimit(LibC.runtime());
        assertThat(libc.getrlimit(LibC.RLIMIT_NOFILE, original)).isZero();
        assumeTrue(original.hard.get() == RLimit.INFINITY || original.hard.get() > openDescriptors() + 500,
                "a hard open-file limit with room above the soft one");
        QemuGuest guest = start("tp-fdlimit", GuestProgram.IDLE, 2);
        source = new ExitTracepointSource(TRACEFS, Isa.VMX, rig::watched, rig.ring);
        RLimit low = new RLimit(LibC.runtime());
        low.soft.set(openDescriptors() + 40); // fewer than one vCPU's events
        low.hard.set(original.hard.get());
        try {
            assertThat(libc.setrlimit(LibC.RLIMIT_NOFILE, low)).isZero();
            rig.round(source);

            RLimit raised = new RLimit(LibC.runtime());
            assertThat(libc.getrlimit(LibC.RLIMIT_NOFILE, raised)).isZero();
            assertThat(raised.soft.get()).isEqualTo(original.hard.get());
            assertThat(source.descriptors()).isEqualTo(2 * eventsPerThread(Isa.VMX));
            assertThat(source.errors()).isZero();
        } finally {
            assertThat(libc.setrlimit(LibC.RLIMIT_NOFILE, original)).isZero();
        }
        guest.close();
    }

    private QemuGuest start(String name, GuestProgram program, int vcpus) throws Exception {
        QemuGuest guest = QemuGuest.builder().name(name + "-" + ProcessHandle.current().pid()).program(program)
                .vcpus(vcpus).start();
        guest.awaitVcpuThreads(Duration.ofSeconds(30));
        rig.watch(guest);
        return guest;
    }

    private void awaitPioRateAbove(QemuGuest guest, double perSecond) throws Exception {
        long deadline = System.nanoTime() + BOOT.toNanos();
        long t0 = rig.round(source);
        while (true) {
            Thread.sleep(1000);
            long t1 = rig.round(source);
            double rate = (pio(guest, t1) - pio(guest, t0)) / ((t1 - t0) / 1e9);
            if (rate > perSecond) {
                return;
            }
            assertThat(System.nanoTime()).as("port I/O rate reaches %.0f/s, last %.0f/s", perSecond, rate)
                    .isLessThan(deadline);
            t0 = t1;
        }
    }

    /** The VM's kvm_pio count published in round {@code t}; no sample means none yet. */
    private long pio(QemuGuest guest, long t) {
        return rig.capture.value(t, guest.pid(), -1, TRACEPOINT_METRIC, PIO).orElse(0.0).longValue();
    }

    private static int eventsPerThread(Isa isa) throws IOException {
        return KvmTracepoints.load(new Tracefs(TRACEFS, "kvm"), isa).events().size();
    }

    /** The count of {@code event} in {@code perf stat -x,} output: {@code value,unit,event,run time,...}. */
    private static long perfCount(String output, String event) {
        return output.lines().map(l -> l.split(",")).filter(f -> f.length > 2 && f[2].equals(event))
                .mapToLong(f -> Long.parseLong(f[0])).findFirst()
                .orElseThrow(() -> new AssertionError("no " + event + " count in perf stat output:\n" + output));
    }

    private static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
