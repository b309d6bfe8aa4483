package dev.hvwatch.agent.source.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hvwatch.agent.source.OpenFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VM's cgroup files kept open across rounds, on a fixture tree laid out like cgroup v2: every round sees the
 * files' current values, a VM moved to another cgroup is read there from the next round, and a cgroup removed under
 * it fails that round and is looked up again afterwards.
 */
class CgroupFilesTest {
    @TempDir
    Path root;

    private final ByteBuffer buffer = ByteBuffer.allocate(4096);

    private Path write(String file, String text) throws IOException {
        Path p = root.resolve(file);
        Files.createDirectories(p.getParent());
        return Files.writeString(p, text);
    }

    private void scope(String name, int weight, String max) throws IOException {
        write("cgroup/" + name + "/cpu.weight", weight + "\n");
        write("cgroup/" + name + "/cpu.max", max + "\n");
        write("cgroup/" + name + "/cpu.stat", "usage_usec 1\nnr_periods 3\nnr_throttled 1\nthrottled_usec 2000\n");
    }

    @Test
    void readsCurrentValuesFollowsAMoveAndRecoversFromARemovedCgroup() throws IOException {
        write("cgroup/cgroup.controllers", "cpu\n");
        scope("machine.slice/a.scope", 200, "max 100000");
        scope("machine.slice/b.scope", 50, "50000 100000");
        Path membership = write("proc/42/cgroup", "0::/machine.slice/a.scope/libvirt/emulator\n");
        Path cgroupRoot = root.resolve("cgroup");

        try (CgroupFiles files = new CgroupFiles(OpenFile.open(membership))) {
            assertThat(files.controls(cgroupRoot, buffer))
                    .isEqualTo(new CpuControls(200, Double.POSITIVE_INFINITY, 3, 1, 0.002));

            write("cgroup/machine.slice/a.scope/cpu.weight", "300\n");
            assertThat(files.controls(cgroupRoot, buffer).weight()).as("read anew each round").isEqualTo(300);

            Files.writeString(membership, "0::/machine.slice/b.scope\n");
            assertThat(files.controls(cgroupRoot, buffer)).as("moved: read where it is now")
                    .isEqualTo(new CpuControls(50, 0.5, 3, 1, 0.002));

            Files.delete(root.resolve("cgroup/machine.slice/b.scope/cpu.weight"));
            assertThat(files.controls(cgroupRoot, buffer).weight()).as("an open file stays readable after unlink")
                    .isEqualTo(50);
            files.forget();
            assertThat(files.controls(cgroupRoot, buffer).weight()).as("looked up again: no weight file, the default")
                    .isEqualTo(100);

            Files.writeString(membership, "0::/machine.slice/gone.scope\n");
            assertThatThrownBy(() -> files.controls(cgroupRoot, buffer)).isInstanceOf(IOException.class)
                    .hasMessageContaining("gone.scope");
            files.forget();
            Files.writeString(membership, "0::/machine.slice/a.scope\n");
            assertThat(files.controls(cgroupRoot, buffer).weight()).isEqualTo(300);
        }
    }
}
