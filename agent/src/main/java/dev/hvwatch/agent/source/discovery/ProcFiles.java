package dev.hvwatch.agent.source.discovery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small readers for {@code /proc} files whose formats the kernel documents in proc(5). */
public final class ProcFiles {
    private ProcFiles() {
    }

    /** {@code /proc/PID/cmdline}: NUL-separated argv; empty for kernel threads and zombies. */
    static List<String> cmdline(Path pidDir) throws IOException {
        byte[] raw = Files.readAllBytes(pidDir.resolve("cmdline"));
        List<String> argv = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                argv.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < raw.length) {
            argv.add(new String(raw, start, raw.length - start, StandardCharsets.UTF_8));
        }
        return argv;
    }

    /** What discovery reads of {@code /proc/PID/stat} each round: field 22, the start time in clock ticks since boot
     * (with the pid, which process this is), and field 20, the number of threads. */
    record Stat(long startTicks, long threads) {
    }

    /** The command name (field 2) may hold spaces and parentheses, so fields are counted from the last ')'. */
    static Stat stat(Path pidDir) throws IOException {
        // ISO-8859-1, whose every byte is a character: the command name is whatever bytes its process chose
        // (prctl(PR_SET_NAME) takes any), and a strict UTF-8 read of one that is not UTF-8 would throw.
        String stat = Files.readString(pidDir.resolve("stat"), StandardCharsets.ISO_8859_1);
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IOException(pidDir.resolve("stat") + ": no ')' closing the command name");
        }
        String[] rest = stat.substring(close + 2).split(" ");
        if (rest.length <= 22 - 3) { // fields 3.. follow the command name
            throw new IOException(pidDir.resolve("stat") + ": " + (rest.length + 2) + " fields, expected at least 22");
        }
        return new Stat(field(pidDir, rest, 22), field(pidDir, rest, 20));
    }

    private static long field(Path pidDir, String[] afterComm, int field) throws IOException {
        String text = afterComm[field - 3];
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException(pidDir.resolve("stat") + ": field " + field + " is not a number: " + text, e);
        }
    }

    /** QEMU names vCPU threads "CPU n/KVM" (and "CPU n/TCG" under emulation) when started with debug-threads=on. */
    private static final Pattern VCPU_THREAD = Pattern.compile("CPU (\\d+)/(KVM|TCG|HVF|WHPX)");

    /** The vCPU index of a QEMU thread so named, or -1 for any other thread. */
    public static int vcpuIndex(String comm) {
        Matcher m = VCPU_THREAD.matcher(comm);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Whether a {@code /proc} entry's name is all digits: a process (or, under {@code task}, a thread). */
    public static boolean isNumber(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** {@link #isNumber(String)} of a path's file name, as a directory-stream filter. */
    public static boolean isNumber(Path entry) {
        return isNumber(entry.getFileName().toString());
    }

    /** {@code /proc/PID/task/TID/comm} without the trailing newline. */
    public static String comm(Path taskDir) throws IOException {
        // Decoded leniently: a name that is not UTF-8 reads with replacement characters instead of failing the scan.
        return new String(Files.readAllBytes(taskDir.resolve("comm")), StandardCharsets.UTF_8).strip();
    }
}
