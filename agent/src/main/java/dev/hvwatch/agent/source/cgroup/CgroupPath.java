package dev.hvwatch.agent.source.cgroup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A process's place in one cgroup hierarchy, read from {@code /proc/PID/cgroup}
 * (Documentation/admin-guide/cgroup-v2.rst, cgroup-v1/cgroups.rst). Lines read {@code HIERARCHY:CONTROLLERS:PATH}:
 * cgroup v1 names its controllers ({@code 4:cpu,cpuacct:/machine.slice/…}) and is mounted per controller under the
 * root ({@code /sys/fs/cgroup/cpu,cpuacct}); cgroup v2 is {@code 0::PATH} under the root itself, or under
 * {@code unified} on a hybrid host, where only v1 lines carry the controllers that v1 holds.
 *
 * @param hierarchy the hierarchy's mount point
 * @param path      the cgroup's path inside it, without the leading slash ("" for the root cgroup)
 */
public record CgroupPath(Path hierarchy, String path, boolean v2) {

    public Path dir() {
        return path.isEmpty() ? hierarchy : hierarchy.resolve(path);
    }

    /** The cgroup and its ancestors up to the hierarchy's root cgroup (excluded), innermost first. */
    public List<Path> ancestry() {
        List<Path> chain = new ArrayList<>();
        for (Path p = path.isEmpty() ? null : Path.of(path); p != null; p = p.getParent()) {
            chain.add(hierarchy.resolve(p.toString()));
        }
        return chain;
    }

    /**
     * The process's v2 cgroup (if v2 is mounted), then its v1 cgroup of {@code v1Controller} (if that line exists).
     *
     * @throws IllegalArgumentException naming the line that is not {@code HIERARCHY:CONTROLLERS:PATH}
     */
    public static List<CgroupPath> of(Path cgroupRoot, List<String> lines, String v1Controller) {
        List<CgroupPath> found = new ArrayList<>();
        CgroupPath v1 = null;
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length != 3) {
                throw new IllegalArgumentException("expected 'hierarchy:controllers:path', got '" + line + "'");
            }
            String path = f[2].startsWith("/") ? f[2].substring(1) : f[2];
            if (f[0].equals("0") && f[1].isEmpty()) {
                for (Path v2 : List.of(cgroupRoot, cgroupRoot.resolve("unified"))) {
                    if (Files.exists(v2.resolve("cgroup.controllers"))) {
                        found.add(new CgroupPath(v2, path, true));
                        break;
                    }
                }
            } else if (List.of(f[1].split(",")).contains(v1Controller)) {
                Path mount = Files.isDirectory(cgroupRoot.resolve(f[1])) ? cgroupRoot.resolve(f[1])
                        : cgroupRoot.resolve(v1Controller);
                v1 = new CgroupPath(mount, path, false);
            }
        }
        if (v1 != null) {
            found.add(v1);
        }
        return found;
    }
}
