package dev.hvwatch.agent.source.discovery;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * QEMU's "QemuOpts" value syntax: {@code key=value} pairs separated by commas, where a doubled comma {@code ,,} is
 * a literal comma. A leading element without {@code =} is the option's implied key ({@code guest} for
 * {@code -name}, the backend spec for {@code -qmp}). Hand-written because no library parses QEMU's syntax.
 */
public final class QemuOptions {
    private final String implied;
    private final Map<String, String> values;

    private QemuOptions(String implied, Map<String, String> values) {
        this.implied = implied;
        this.values = values;
    }

    static QemuOptions parse(String text) {
        List<String> parts = split(text);
        String implied = null;
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            int eq = part.indexOf('=');
            if (eq < 0) {
                if (i == 0) {
                    implied = part;
                } else {
                    values.put(part, "on"); // legacy boolean flags such as "server" and "nowait"
                }
            } else {
                values.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return new QemuOptions(implied, values);
    }

    /** Splits on single commas; {@code ,,} stays in the element as one comma. Posture reads device options too. */
    public static List<String> split(String text) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',') {
                if (i + 1 < text.length() && text.charAt(i + 1) == ',') {
                    current.append(',');
                    i++;
                } else {
                    parts.add(current.toString());
                    current.setLength(0);
                }
            } else {
                current.append(c);
            }
        }
        parts.add(current.toString());
        return parts;
    }

    /** The implied first element, if it had no {@code key=}. */
    String implied() {
        return implied;
    }

    String get(String key) {
        return values.get(key);
    }
}
