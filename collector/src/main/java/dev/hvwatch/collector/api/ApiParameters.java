package dev.hvwatch.collector.api;

import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.Severity;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The query strings of {@code /api/v1/alerts} and {@code /api/v1/stream}, checked; any fault is a
 * {@link BadParameter} naming the parameter. Lists are given comma-separated, by repeating the parameter, or both.
 */
final class ApiParameters {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    static final String LAST_EVENT_ID = "Last-Event-ID";
    private static final int MAX_VALUE_LENGTH = 256;
    private static final Pattern EPOCH_MILLIS = Pattern.compile("\\d{1,15}");
    private static final Pattern CURSOR = Pattern.compile("[0-9a-f]{1,16}");
    private static final List<String> FILTERS =
            List.of("since", "until", "severity", "minSeverity", "host", "vm", "rule", "state");

    /** A journal index a client gave back, and the parameter it came in, to name in an answer about it. */
    record Cursor(String parameter, long index) {
    }

    /** A page of {@code /api/v1/alerts}: the alerts after {@code after}, or from the oldest when it is null. */
    record AlertQuery(AlertFilter filter, Cursor after, int limit) {
    }

    /**
     * A live stream of the alerts after {@code after}; without one, of those from now on, or with {@code since} in
     * the filter, of those from the oldest on.
     */
    record StreamQuery(AlertFilter filter, Cursor after) {
    }

    private ApiParameters() {
    }

    static AlertQuery alerts(Map<String, List<String>> params) throws BadParameter {
        checkKnown(params, "cursor", "limit");
        String cursor = single(params, "cursor");
        String limit = single(params, "limit");
        return new AlertQuery(filter(params), cursor == null ? null : cursor("cursor", cursor),
                limit == null ? DEFAULT_LIMIT : limit(limit));
    }

    /** {@code Last-Event-ID}, which a reconnecting EventSource sends, wins over a {@code cursor} in the URL. */
    static StreamQuery stream(Map<String, List<String>> params, String lastEventId) throws BadParameter {
        checkKnown(params, "cursor");
        AlertFilter filter = filter(params);
        if (lastEventId != null && !lastEventId.isBlank()) {
            return new StreamQuery(filter, cursor(LAST_EVENT_ID, lastEventId.strip()));
        }
        String cursor = single(params, "cursor");
        return new StreamQuery(filter, cursor == null ? null : cursor("cursor", cursor));
    }

    /** The opaque text of a journal index, as {@code next} and SSE {@code id:} give it. */
    static String cursor(long index) {
        return Long.toHexString(index);
    }

    private static Cursor cursor(String name, String text) throws BadParameter {
        if (!CURSOR.matcher(text).matches()) {
            throw new BadParameter(name, "'" + shorten(text) + "' is not a cursor this API gave out (the 'next' of "
                    + "a page or the id of a streamed event)");
        }
        return new Cursor(name, Long.parseUnsignedLong(text, 16));
    }

    private static int limit(String text) throws BadParameter {
        int limit;
        try {
            limit = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new BadParameter("limit", "'" + shorten(text) + "' is not a whole number from 1 to " + MAX_LIMIT);
        }
        return limit;
    }

    private static AlertFilter filter(Map<String, List<String>> params) throws BadParameter {
        Instant since = time(params, "since");
        Instant until = time(params, "until");
        if (since != null && until != null && !since.isBefore(until)) {
            throw new BadParameter("until", "must be later than since");
        }
        Set<Severity> severities = enums(params, "severity", Severity.class, Severity::wireName);
        Set<Severity> min = enums(params, "minSeverity", Severity.class, Severity::wireName);
        Set<AlertState> state = enums(params, "state", AlertState.class, AlertState::wireName);
        return new AlertFilter(since, until, severities, only("minSeverity", min), strings(params, "host"),
                strings(params, "vm"), strings(params, "rule"), only("state", state));
    }

    private static void checkKnown(Map<String, List<String>> params, String... more) throws BadParameter {
        Set<String> known = new TreeSet<>(FILTERS);
        known.addAll(Arrays.asList(more));
        for (String name : params.keySet()) {
            if (!known.contains(name)) {
                throw new BadParameter(shorten(name), "unknown parameter; known: " + String.join(", ", known));
            }
        }
    }

    /** RFC 3339 (with Z or an offset), or milliseconds since the epoch. */
    private static Instant time(Map<String, List<String>> params, String name) throws BadParameter {
        String text = single(params, name);
        if (text == null) {
            return null;
        }
        if (EPOCH_MILLIS.matcher(text).matches()) {
            return Instant.ofEpochMilli(Long.parseLong(text));
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new BadParameter(name, "'" + shorten(text) + "' is neither an RFC 3339 time such as "
                    + "2025-01-02T03:04:05Z nor milliseconds since the epoch"
                    + (text.contains(" ") ? " (a '+' in a URL reads as a space: write it %2B)" : ""));
        }
    }

    private static <E extends Enum<E>> Set<E> enums(Map<String, List<String>> params, String name, Class<E> type,
            Function<E, String> wireName) throws BadParameter {
        Map<String, E> byName = EnumSet.allOf(type).stream().collect(Collectors.toMap(wireName, e -> e));
        Set<E> values = EnumSet.noneOf(type);
        for (String text : strings(params, name)) {
            E value = byName.get(text.toLowerCase(Locale.ROOT));
            if (value == null) {
                throw new BadParameter(name, "'" + shorten(text) + "' is not one of "
                        + String.join(", ", byName.keySet().stream().sorted().toList()));
            }
            values.add(value);
        }
        return values;
    }

    private static <E extends Enum<E>> E only(String name, Set<E> values) throws BadParameter {
        if (values.size() > 1) {
            throw new BadParameter(name, "takes one value, not " + values.size());
        }
        return values.isEmpty() ? null : values.iterator().next();
    }

    private static Set<String> strings(Map<String, List<String>> params, String name) throws BadParameter {
        Set<String> values = new LinkedHashSet<>();
        for (String given : params.getOrDefault(name, List.of())) {
            for (String value : given.split(",", -1)) {
                String v = value.strip();
                if (v.isEmpty()) {
                    throw new BadParameter(name, "has an empty value");
                }
                if (v.length() > MAX_VALUE_LENGTH) {
                    throw new BadParameter(name, "has a value longer than " + MAX_VALUE_LENGTH + " characters");
                }
                values.add(v);
            }
        }
        return values;
    }

    private static String single(Map<String, List<String>> params, String name) throws BadParameter {
        List<String> values = params.get(name);
        if (values == null) {
            return null;
        }
        if (values.size() > 1) {
            throw new BadParameter(name, "is given " + values.size() + " times; give it once");
        }
        String value = values.get(0).strip();
        if (value.isEmpty()) {
            throw new BadParameter(name, "is empty");
        }
        return value;
    }

    /** Echoes at most a short prefix of what a client sent, so that an answer never grows with the request. */
    private static String shorten(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "…";
    }
}
