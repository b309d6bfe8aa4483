package dev.hvwatch.agent.source.posture;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hvwatch.agent.source.discovery.QemuOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options of a QEMU command line as posture checks need them: every value of an option in order
 * ({@code -device} comes many times), and each value's properties. QEMU takes two spellings of a value: its
 * QemuOpts syntax ({@code vfio-pci,host=3b:00.0,id=hostdev0}, where {@code ,,} is a literal comma and a leading
 * element without {@code =} is the implied one) and JSON, which libvirt uses for {@code -device}, {@code -blockdev}
 * and {@code -object}. Both become one flat map; nested JSON objects give dotted keys
 * ({@code {"limits":{"iops-total":100}}} → {@code limits.iops-total}), as QemuOpts spells them.
 *
 * <p>Discovery's parser reads the few options it needs (name, UUID, QMP); this one reads every option, JSON included.
 */
public final class QemuArgs {
    /** The key of a QemuOpts value's leading element without {@code =}, e.g. {@code vfio-pci} or {@code 0.0.0.0:0}. */
    public static final String IMPLIED = "";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, List<String>> options = new LinkedHashMap<>();

    private QemuArgs() {
    }

    /**
     * Reads argv as in {@code /proc/PID/cmdline}. An option takes the next word as its value unless that word starts
     * with '-': QEMU's flags ({@code -nodefaults}, {@code -enable-kvm}, {@code -S}) have none, and no value posture
     * reads starts with '-'. {@code --opt} is {@code -opt}.
     */
    public static QemuArgs parse(List<String> argv) {
        QemuArgs args = new QemuArgs();
        for (int i = 1; i < argv.size(); i++) {
            String word = argv.get(i);
            if (!word.startsWith("-") || word.length() < 2) {
                continue;
            }
            String option = word.substring(word.startsWith("--") ? 2 : 1);
            boolean hasValue = i + 1 < argv.size() && !argv.get(i + 1).startsWith("-");
            args.options.computeIfAbsent(option, k -> new ArrayList<>()).add(hasValue ? argv.get(++i) : "");
        }
        return args;
    }

    public boolean has(String option) {
        return options.containsKey(option);
    }

    /** Every value of the option, in command-line order; empty when absent. */
    public List<String> values(String option) {
        return options.getOrDefault(option, List.of());
    }

    /** The properties of every value of the option, in order. */
    public List<Map<String, String>> properties(String option) {
        return values(option).stream().map(QemuArgs::parseValue).toList();
    }

    /**
     * The properties of one value. Malformed JSON, which QEMU itself would have refused, gives the text under
     * {@link #IMPLIED}, as an unparseable QemuOpts value would.
     */
    public static Map<String, String> parseValue(String value) {
        Map<String, String> props = new LinkedHashMap<>();
        if (value.startsWith("{")) {
            try {
                flatten("", JSON.readTree(value), props);
                return props;
            } catch (JsonProcessingException e) {
                props.put(IMPLIED, value);
                return props;
            }
        }
        List<String> parts = QemuOptions.split(value);
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            int eq = part.indexOf('=');
            if (eq >= 0) {
                props.put(part.substring(0, eq), part.substring(eq + 1));
            } else {
                props.put(i == 0 ? IMPLIED : part, i == 0 ? part : "on"); // later bare words are flags: "server"
            }
        }
        return props;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                flatten(prefix + field.getKey() + ".", field.getValue(), out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(prefix + i + ".", node.get(i), out);
            }
        } else {
            out.put(prefix.substring(0, prefix.length() - 1), node.asText());
        }
    }
}
