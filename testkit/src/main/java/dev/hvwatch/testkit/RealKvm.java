package dev.hvwatch.testkit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** Whether this host can run real KVM guests, and what a test does when it cannot. */
public final class RealKvm {

    static final String QEMU = "qemu-system-x86_64";
    private static final Path DEV_KVM = Path.of("/dev/kvm");

    private RealKvm() {
    }

    /**
     * One line saying what is missing, or empty when guests can start. Needs no JUnit: the agent's demo
     * mode prints it.
     */
    public static Optional<String> unavailableReason() {
        return unavailableReason(DEV_KVM, System.getenv("PATH"));
    }

    /**
     * Skips the calling test when KVM or QEMU is missing. On CI with {@code /dev/kvm} present the guest tests
     * are the point of the run, so there the test fails instead of passing silently as skipped.
     */
    public static void require() {
        require(unavailableReason(), "true".equals(System.getenv("CI")), Files.exists(DEV_KVM));
    }

    /**
     * Like {@link #require()}, for something else a guest test needs from the host (tracefs, perf): skipped where
     * missing, but a failure on CI with {@code /dev/kvm}, whose set-up (.ci/run) provides it.
     */
    public static void requireHost(boolean available, String what) {
        require(available ? Optional.empty() : Optional.of(what + " is not available"),
                "true".equals(System.getenv("CI")), Files.exists(DEV_KVM));
    }

    static void require(Optional<String> reason, boolean ci, boolean kvmExists) {
        if (reason.isEmpty()) {
            return;
        }
        if (ci && kvmExists) {
            throw new AssertionError("real KVM guests required on CI: " + reason.get());
        }
        // abort() throws by itself; not naming TestAbortedException here keeps the bytecode verifier from
        // loading JUnit when the demo mode only calls unavailableReason().
        Assumptions.abort("real KVM guests unavailable: " + reason.get());
    }

    static Optional<String> unavailableReason(Path kvm, String searchPath) {
        if (!Files.exists(kvm)) {
            return Optional.of(kvm + " does not exist: the host has no KVM (enable virtualisation or load kvm_intel/kvm_amd)");
        }
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return Optional.of(kvm + " is not readable and writable by this user: add it to the kvm group");
        }
        if (findOnPath(QEMU, searchPath).isEmpty()) {
            return Optional.of(QEMU + " not installed: run apt-get install -y qemu-system-x86");
        }
        return Optional.empty();
    }

    private static Optional<Path> findOnPath(String program, String searchPath) {
        if (searchPath == null) {
            return Optional.empty();
        }
        return Stream.of(searchPath.split(File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, program))
                .filter(Files::isExecutable)
                .findFirst();
    }
}
