package dev.hvwatch.agent.source.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * One reading of a cgroup's CPU controls and bandwidth throttling, in one scale for both cgroup versions:
 * <ul>
 * <li>weight on the v2 scale (100 = default): v2 {@code cpu.weight}; v1 {@code cpu.shares} × 100 / 1024, since both
 * are proportional shares with defaults 100 and 1024;
 * <li>limit in CPUs: v2 {@code cpu.max} ({@code QUOTA PERIOD} or {@code max PERIOD}); v1
 * {@code cpu.cfs_quota_us} / {@code cpu.cfs_period_us} (quota -1 = none); +Inf without a limit;
 * <li>from {@code cpu.stat}: periods, throttled periods, and throttled time ({@code throttled_usec} in v2,
 * {@code throttled_time} in nanoseconds in v1).
 * </ul>
 * A missing weight file (v2's root cgroup has none) means the default weight.
 */
public record CpuControls(double weight, double limitCpus, long periods, long throttledPeriods,
                          double throttledSeconds) {

    /** One control file of a VM's cgroup, read whole. */
    public interface ControlFiles {
        /** @return the file's text, or null when the cgroup has no such file */
        String read(String name) throws IOException;
    }

    /** Reads the controls with a fresh open, read and close of each file. */
    public static CpuControls read(VmCgroup cgroup) throws IOException {
        return read(cgroup, name -> {
            try {
                return Files.readString(cgroup.dir().resolve(name), StandardCharsets.ISO_8859_1);
            } catch (NoSuchFileException e) {
                return null;
            }
        });
    }

    public static CpuControls read(VmCgroup cgroup, ControlFiles files) throws IOException {
        Path dir = cgroup.dir();
        double weight;
        double limit;
        if (cgroup.v2()) {
            weight = optionalNumber(files, dir, "cpu.weight", 100);
            String[] max = words(files, dir, "cpu.max", "max 100000");
            limit = max[0].equals("max") ? Double.POSITIVE_INFINITY
                    : number(max[0], dir.resolve("cpu.max")) / number(max[1], dir.resolve("cpu.max"));
        } else {
            weight = optionalNumber(files, dir, "cpu.shares", 1024) * 100 / 1024;
            double quota = optionalNumber(files, dir, "cpu.cfs_quota_us", -1);
            limit = quota < 0 ? Double.POSITIVE_INFINITY
                    : quota / optionalNumber(files, dir, "cpu.cfs_period_us", 100_000);
        }
        long periods = 0;
        long throttled = 0;
        double throttledSeconds = 0;
        Path statFile = dir.resolve("cpu.stat");
        String stat = files.read("cpu.stat");
        if (stat == null) {
            throw new NoSuchFileException(statFile.toString());
        }
        for (String line : lines(stat)) {
            String[] kv = line.split(" ");
            if (kv.length != 2) {
                throw new IOException(statFile + ": expected 'KEY VALUE', got '" + line + "'");
            }
            switch (kv[0]) {
                case "nr_periods" -> periods = (long) number(kv[1], statFile);
                case "nr_throttled" -> throttled = (long) number(kv[1], statFile);
                case "throttled_usec" -> throttledSeconds = number(kv[1], statFile) / 1e6;
                case "throttled_time" -> throttledSeconds = number(kv[1], statFile) / 1e9;
                default -> {
                    // usage_usec, nr_bursts, …: not about the VM's entitlement
                }
            }
        }
        return new CpuControls(weight, limit, periods, throttled, throttledSeconds);
    }

    private static List<String> lines(String text) {
        return text.lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
    }

    private static double optionalNumber(ControlFiles files, Path dir, String name, double absent)
            throws IOException {
        String text = files.read(name);
        if (text == null) {
            return absent;
        }
        List<String> lines = lines(text);
        if (lines.size() != 1) {
            throw new IOException(dir.resolve(name) + ": expected one number, got " + lines.size() + " lines");
        }
        return number(lines.get(0), dir.resolve(name));
    }

    private static String[] words(ControlFiles files, Path dir, String name, String absent) throws IOException {
        String text = files.read(name);
        text = text == null ? absent : text.trim();
        String[] w = text.split(" ");
        if (w.length != 2) {
            throw new IOException(dir.resolve(name) + ": expected 'QUOTA PERIOD', got '" + text + "'");
        }
        return w;
    }

    private static double number(String text, Path file) throws IOException {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": '" + text + "' is not a number");
        }
    }
}
