package dev.hvwatch.agent.source.tracepoint;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tracepoint's {@code format} file as tracefs writes it ({@code kernel/trace/trace_events.c}): {@code name:},
 * {@code ID:}, {@code format:}, one {@code field:TYPE NAME;	offset:N;	size:N;	signed:N;} line per field (common
 * fields, a blank line, the event's own), a blank line, and one {@code print fmt:} line holding the format string
 * and its arguments, with the kernel's symbol tables expanded in place.
 *
 * @param printFmt what follows {@code print fmt: }
 */
record TracepointFormat(String name, List<Field> fields, String printFmt) {

    /**
     * One record field; {@code size} in bytes.
     *
     * @param type its C type as declared, with any array bound: {@code u64}, {@code char[16]}, {@code __data_loc
     *             char[]} (a string stored after the fixed fields)
     */
    record Field(String name, String type, int offset, int size, boolean signed) {

        /** A string the kernel's event filter compares with {@code ==}, {@code !=} and {@code ~} (a glob). */
        boolean isString() {
            return type.matches("(__data_loc |__rel_loc )?(unsigned )?char\\s*\\[\\d*]");
        }
    }

    private static final Pattern FIELD = Pattern.compile(
            "field:(.+);\\s*offset:(\\d+);\\s*size:(\\d+);\\s*signed:([01]);");
    /** The declared name is the last identifier, before any array bound: {@code char comm[16]}. */
    private static final Pattern DECLARED_NAME = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*(\\[[^]]*])?\\s*$");
    private static final String PRINT_FMT = "print fmt: ";

    /** @param origin the file, for error messages */
    static TracepointFormat parse(String text, String origin) throws TracepointFormatException {
        String name = null;
        String printFmt = null;
        List<Field> fields = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.startsWith("name: ")) {
                name = line.substring("name: ".length());
            } else if (line.startsWith("field:")) {
                fields.add(field(line, origin, i + 1));
            } else if (line.startsWith(PRINT_FMT)) {
                printFmt = line.substring(PRINT_FMT.length());
            }
        }
        if (name == null || name.isEmpty()) {
            throw new TracepointFormatException(origin + ": no 'name:' line; not a tracepoint format file");
        }
        if (printFmt == null) {
            throw new TracepointFormatException(origin + ": no 'print fmt:' line; the file looks truncated");
        }
        return new TracepointFormat(name, List.copyOf(fields), printFmt);
    }

    Optional<Field> field(String fieldName) {
        return fields.stream().filter(f -> f.name().equals(fieldName)).findFirst();
    }

    private static Field field(String line, String origin, int lineNumber) throws TracepointFormatException {
        Matcher m = FIELD.matcher(line);
        if (!m.matches()) {
            throw new TracepointFormatException(origin + " line " + lineNumber
                    + ": expected 'field:TYPE NAME; offset:N; size:N; signed:0|1;', got '" + line + "'");
        }
        Matcher declared = DECLARED_NAME.matcher(m.group(1));
        if (!declared.find()) {
            throw new TracepointFormatException(origin + " line " + lineNumber + ": no field name in '"
                    + m.group(1) + "'");
        }
        try {
            String type = (m.group(1).substring(0, declared.start()).strip()
                    + (declared.group(2) == null ? "" : declared.group(2))).strip();
            return new Field(declared.group(1), type, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    m.group(4).equals("1"));
        } catch (NumberFormatException e) {
            throw new TracepointFormatException(origin + " line " + lineNumber + ": offset or size out of range in '"
                    + line + "'");
        }
    }
}
