package dev.hvwatch.agent.source.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The cgroup directory that holds a VM's CPU controls: the QEMU process's cgroup with the cpu controller — v1's
 * when the host has one (on a hybrid host v2 has no cpu controller), else v2's.
 * <p>
 * libvirt puts QEMU's main thread into a child named {@code emulator} (v1: {@code …/machine-qemu…scope/emulator};
 * v2: {@code …/machine-qemu…scope/libvirt/emulator}) and the VM's weight and limits on the machine scope above it,
 * so the VM's directory is that scope.
 *
 * @param dir the directory with cpu.weight/cpu.max (v2) or cpu.shares/cpu.cfs_quota_us (v1)
 */
public record VmCgroup(Path dir, boolean v2) {

    /** Resolves the VM's CPU cgroup from the lines of its {@code /proc/PID/cgroup} (named by {@code where}). */
    public static VmCgroup resolve(Path cgroupRoot, List<String> procCgroup, String where) throws IOException {
        List<CgroupPath> paths;
        try {
            paths = CgroupPath.of(cgroupRoot, procCgroup, "cpu");
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage());
        }
        if (paths.isEmpty()) {
            throw new IOException(where + ": no cgroup with the cpu controller (neither a v1 cpu line nor cgroup v2 "
                    + "mounted at " + cgroupRoot + ")");
        }
        CgroupPath cpu = paths.get(paths.size() - 1);
        return new VmCgroup(vmDir(cpu.dir()), cpu.v2());
    }

    private static Path vmDir(Path dir) {
        if (dir.getFileName() != null && dir.getFileName().toString().equals("emulator")) {
            dir = dir.getParent();
            if (dir.getFileName() != null && dir.getFileName().toString().equals("libvirt")) {
                dir = dir.getParent();
            }
        }
        return dir;
    }
}
