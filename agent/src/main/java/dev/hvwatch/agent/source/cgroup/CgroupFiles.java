package dev.hvwatch.agent.source.cgroup;

import dev.hvwatch.agent.source.OpenFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One VM's cgroup files, {@link OpenFile open}: its {@code /proc/PID/cgroup}, read every round, and the control
 * files of the cgroup that names, looked up again only when that list reads differently (the VM was moved) or a
 * read failed. A control file the cgroup lacks is remembered as absent until then.
 */
final class CgroupFiles implements AutoCloseable {
    private final OpenFile membership;
    private String lastMembership;
    private VmCgroup cgroup;
    private final Map<String, OpenFile> controls = new HashMap<>();
    private final Set<String> absent = new HashSet<>();

    CgroupFiles(OpenFile membership) {
        this.membership = membership;
    }

    /** The VM's CPU controls now; {@code buffer} is the caller's, reused for every read. */
    CpuControls controls(Path cgroupRoot, ByteBuffer buffer) throws IOException {
        String text = membership.readText(buffer);
        if (!text.equals(lastMembership)) {
            closeControls();
            cgroup = VmCgroup.resolve(cgroupRoot, List.of(text.split("\n")), membership.path().toString());
            lastMembership = text;
        }
        return CpuControls.read(cgroup, name -> read(name, buffer));
    }

    private String read(String name, ByteBuffer buffer) throws IOException {
        if (absent.contains(name)) {
            return null;
        }
        OpenFile f = controls.get(name);
        if (f == null) {
            try {
                f = OpenFile.open(cgroup.dir().resolve(name));
            } catch (NoSuchFileException e) {
                absent.add(name);
                return null;
            }
            controls.put(name, f);
        }
        return f.readText(buffer);
    }

    /** Looks the cgroup up afresh on the next read. */
    void forget() {
        lastMembership = null;
        closeControls();
    }

    private void closeControls() {
        controls.values().forEach(OpenFile::close);
        controls.clear();
        absent.clear();
    }

    @Override
    public void close() {
        closeControls();
        membership.close();
    }
}
