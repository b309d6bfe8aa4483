package dev.hvwatch.agent.source.psi;

import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.source.Source;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Host-wide pressure stall information ({@code /proc/pressure/{cpu,memory,io}}, Documentation/accounting/psi.rst):
 * the share of the last 10 s in which some (or all) tasks waited for the resource. Lines read
 * {@code some avg10=1.23 avg60=… avg300=… total=…}; avg10 is a percentage, published as a ratio in
 * {@code hvwatch_host_pressure_ratio{resource,kind}}.
 */
public final class PressureSource implements Source {
    private static final List<String> RESOURCES = List.of("cpu", "memory", "io");

    private final Path pressureDir;
    private final EventRing ring;
    private final Map<String, Series> series = new HashMap<>();

    public PressureSource(Path procRoot, EventRing ring) {
        this.pressureDir = procRoot.resolve("pressure");
        this.ring = ring;
    }

    @Override
    public String name() {
        return "psi";
    }

    @Override
    public void sample(long nowNanos) throws IOException {
        for (String resource : RESOURCES) {
            List<String> lines;
            try {
                lines = Files.readAllLines(pressureDir.resolve(resource));
            } catch (NoSuchFileException e) {
                throw new IOException(pressureDir.resolve(resource) + " is missing: the kernel has no pressure stall "
                        + "information (CONFIG_PSI, or psi=0 on the kernel command line)", e);
            }
            for (String line : lines) {
                String[] fields = line.trim().split(" ");
                if (fields.length < 2 || !fields[1].startsWith("avg10=")) {
                    throw new IOException(pressureDir.resolve(resource) + ": expected 'some|full avg10=…', got '"
                            + line + "'");
                }
                double percent;
                try {
                    percent = Double.parseDouble(fields[1].substring("avg10=".length()));
                } catch (NumberFormatException e) {
                    throw new IOException(pressureDir.resolve(resource) + ": avg10 is not a number in '" + line + "'");
                }
                Series s = series.computeIfAbsent(resource + "/" + fields[0], k -> new Series("hvwatch.host.pressure",
                        "Share of the last 10 s in which some (or all) tasks waited for the resource", "ratio", false,
                        Map.of("resource", resource, "kind", fields[0])));
                ring.publishSample(nowNanos, null, -1, s, percent / 100);
            }
        }
    }
}
