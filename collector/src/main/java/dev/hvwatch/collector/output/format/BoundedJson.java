package dev.hvwatch.collector.output.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.hvwatch.protocol.AlertJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * JSON for a text field with a length limit (CEF's custom strings): still valid JSON when it has to be shortened,
 * and shortened the same way every time. Strings are cut first, each to 256 characters, then 128, down to 8 (a cut
 * string ends in {@link SafeText#CUT}); what still does not fit loses its last entries, and says so with
 * {@code "truncated": true}. Hazardous characters are escaped as JSON escapes them ({@link SafeText}).
 */
final class BoundedJson {
    static final String TRUNCATED = "truncated";
    private static final ObjectWriter WRITER = AlertJson.mapper().writer().with(SafeText.jsonEscapes());
    private static final int LONGEST_STRING = 256;
    private static final int SHORTEST_STRING = 8;

    private BoundedJson() {
    }

    /**
     * The first of {@code value(cut)}, for string cuts from 256 down to 8 characters, whose JSON fits {@code max}
     * characters; null when even the shortest does not.
     */
    static String fit(IntFunction<Object> value, int max) {
        for (int cut = LONGEST_STRING; cut >= SHORTEST_STRING; cut /= 2) {
            String json = write(value.apply(cut));
            if (json.length() <= max) {
                return json;
            }
        }
        return null;
    }

    /** {@code map} as JSON within {@code max} characters: strings cut, then its last entries left out. */
    static String fit(Map<String, Object> map, int max) {
        String whole = fit(cut -> cutStrings(map, cut), max);
        if (whole != null) {
            return whole;
        }
        Map<String, Object> kept = new LinkedHashMap<>(map);
        while (!kept.isEmpty()) {
            kept.remove(kept.keySet().stream().reduce((first, second) -> second).orElseThrow());
            Map<String, Object> marked = new LinkedHashMap<>(kept);
            marked.put(TRUNCATED, true);
            String json = fit(cut -> cutStrings(marked, cut), max);
            if (json != null) {
                return json;
            }
        }
        return write(Map.of(TRUNCATED, true));
    }

    /** {@code value} with every string in it, at any depth, cut to {@code max} characters. */
    static Object cutStrings(Object value, int max) {
        if (value instanceof String text) {
            return SafeText.cut(text, max);
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> cut = new LinkedHashMap<>();
            map.forEach((k, v) -> cut.put(k, cutStrings(v, max)));
            return cut;
        }
        if (value instanceof Iterable<?> list) {
            List<Object> cut = new ArrayList<>();
            list.forEach(v -> cut.add(cutStrings(v, max)));
            return cut;
        }
        return value;
    }

    static String write(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot be written as JSON: " + value, e);
        }
    }
}
