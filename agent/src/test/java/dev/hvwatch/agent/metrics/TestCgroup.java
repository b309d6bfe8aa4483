package dev.hvwatch.agent.metrics;

import dev.hvwatch.testkit.RealKvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A CPU cgroup of the test's own, with a weight, for real guests: v1's cpu hierarchy where the host has one (hybrid
 * hosts), else cgroup v2. Closing moves what is left in it back to the parent and removes it.
 */
final class TestCgroup implements AutoCloseable {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");
    private final Path dir;
    private final boolean v2;

    private TestCgroup(Path dir, boolean v2) {
        this.dir = dir;
        this.v2 = v2;
    }

    /** @param weight on the cgroup v2 scale (100 = default) */
    static TestCgroup create(int weight) throws IOException {
        boolean v1 = Files.isRegularFile(ROOT.resolve("cpu/cpu.shares"));
        boolean v2 = !v1 && Files.readString(ROOT.resolve("cgroup.controllers")).contains("cpu");
        RealKvm.requireHost(v1 || v2, "a cgroup hierarchy with the cpu controller");
        Path dir = (v1 ? ROOT.resolve("cpu") : ROOT).resolve("hvwatch-test-" + UUID.randomUUID());
        Files.createDirectory(dir);
        TestCgroup cgroup = new TestCgroup(dir, v2);
        if (v2) {
            Files.writeString(dir.resolve("cpu.weight"), Integer.toString(weight));
        } else {
            Files.writeString(dir.resolve("cpu.shares"), Integer.toString(weight * 1024 / 100));
        }
        return cgroup;
    }

    /** A CPU bandwidth limit, in CPUs, with the kernel's default period of 100 ms. */
    void limit(double cpus) throws IOException {
        long quotaMicros = Math.round(cpus * 100_000);
        if (v2) {
            Files.writeString(dir.resolve("cpu.max"), quotaMicros + " 100000");
        } else {
            Files.writeString(dir.resolve("cpu.cfs_period_us"), "100000");
            Files.writeString(dir.resolve("cpu.cfs_quota_us"), Long.toString(quotaMicros));
        }
    }

    /** Moves the process with all its threads. */
    void add(long pid) throws IOException {
        Files.writeString(dir.resolve("cgroup.procs"), Long.toString(pid));
    }

    @Override
    public void close() throws IOException {
        for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
            try {
                Files.writeString(dir.getParent().resolve("cgroup.procs"), pid);
            } catch (IOException exitedMeanwhile) {
                // nothing left to move
            }
        }
        Files.delete(dir);
    }

    @Override
    public String toString() {
        return dir + (v2 ? " (v2)" : " (v1)");
    }
}
