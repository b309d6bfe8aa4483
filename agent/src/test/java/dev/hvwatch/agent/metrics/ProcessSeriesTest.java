package dev.hvwatch.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ProcessSeriesTest {
    private final ProcessSeries process =
            new ProcessSeries((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean());

    @Test
    void openDescriptorsAreCountedAsTheDirectoryListsThemAndFollowOpensAndCloses() throws IOException {
        double before = process.openFds();
        // The listing holds one descriptor of its own while it lists; other threads of the test JVM may open or close
        // one meanwhile: a tolerance of 3.
        assertThat(before).isCloseTo(listed(), within(3.0));

        List<FileChannel> opened = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                opened.add(FileChannel.open(Path.of("/proc/self/status")));
            }
            assertThat(process.openFds()).isCloseTo(before + 50, within(3.0));
        } finally {
            for (FileChannel c : opened) {
                c.close();
            }
        }
        assertThat(process.openFds()).isCloseTo(before, within(3.0));
    }

    @Test
    void statusFiguresAreReadInKilobytes() {
        assertThat(ProcessSeries.statusKilobytes("VmRSS:")).isPositive();
        assertThat(ProcessSeries.statusKilobytes("VmSize:")).isGreaterThan(ProcessSeries.statusKilobytes("VmRSS:"));
        assertThat(ProcessSeries.statusKilobytes("NoSuchField:")).isNaN();
        // A field without a kB unit is not one of these figures.
        assertThat(ProcessSeries.statusKilobytes("Threads:")).isNaN();
    }

    private static long listed() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
