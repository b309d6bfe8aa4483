package dev.hvwatch.agent.source.posture;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code /proc/PID/status} (proc(5)): {@code Name:\tvalue} lines, of which posture reads Uid, Seccomp and VmSwap. */
public final class ProcStatus {
    private final Path file;
    private final Map<String, String> fields;

    private ProcStatus(Path file, Map<String, String> fields) {
        this.file = file;
        this.fields = fields;
    }

    public static ProcStatus parse(Path file, String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return new ProcStatus(file, fields);
    }

    /** A field's value, or null when the kernel does not show it. */
    public String field(String name) {
        return fields.get(name);
    }

    /** The effective uid: the second of {@code Uid: real effective saved filesystem}. */
    public long effectiveUid() throws UnreadableInput {
        String uid = fields.get("Uid");
        String[] ids = uid == null ? new String[0] : uid.split("\\s+");
        try {
            return Long.parseLong(ids[1]);
        } catch (RuntimeException e) {
            throw new UnreadableInput(file, "Uid: expected 'real effective saved fs', got '" + uid + "'");
        }
    }

    /** A {@code 1234 kB} field in bytes, 0 when absent (kernel threads, older kernels). */
    public long bytes(String name) throws UnreadableInput {
        String v = fields.get(name);
        return v == null ? 0 : kilobytes(file, v) * 1024;
    }

    static long kilobytes(Path file, String value) throws UnreadableInput {
        String v = value.strip();
        try {
            return Long.parseLong(v.endsWith("kB") ? v.substring(0, v.length() - 2).strip() : v);
        } catch (NumberFormatException e) {
            throw new UnreadableInput(file, "expected a size in kB, got '" + v + "'");
        }
    }
}
