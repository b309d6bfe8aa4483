package dev.hvwatch.testkit;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.hvwatch.protocol.config.Durations;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The keys of a configuration file with their defaults, read from the configuration records themselves (each
 * record component is a key; a record's defaults are what its constructor makes of nulls), for the reference tables
 * in the docs, which a test compares with this so that they cannot drift from the code.
 */
public final class ConfigKeys {
    /** A key, its default as YAML would write it ({@code ""}: none), and whether the file must give it. */
    public record Key(String path, String defaultValue, boolean required) {
    }

    private ConfigKeys() {
    }

    /**
     * Every leaf key under {@code prefix} of {@code type}, with the defaults of {@code instance} (null: what the
     * record's constructor makes of all nulls, or no defaults where it refuses them). A map of records is listed
     * as the map's key and then its value's keys under {@code prefix.key.NAME}.
     */
    public static List<Key> of(String prefix, Class<? extends Record> type, Record instance) {
        List<Key> keys = new ArrayList<>();
        collect(prefix, type, instance != null ? instance : allNulls(type), keys);
        return keys;
    }

    /**
     * A Markdown table, key | default | meaning, in the order given; meanings come from {@code meanings} by key
     * (those the docs already hold), and a key without one gets an empty cell for its author to fill in.
     */
    public static String markdown(List<Key> keys, Map<String, String> meanings) {
        StringBuilder out = new StringBuilder("| key | default | meaning |\n| --- | --- | --- |\n");
        for (Key k : keys) {
            String cell = "`" + k.path() + "`";
            String value = k.required() ? "required" : k.defaultValue().isEmpty() ? "-" : "`" + k.defaultValue() + "`";
            out.append("| ").append(cell).append(" | ").append(value).append(" | ")
                    .append(meanings.getOrDefault(cell, "")).append(" |\n");
        }
        return out.toString();
    }

    private static void collect(String prefix, Class<?> type, Object instance, List<Key> keys) {
        for (RecordComponent c : type.getRecordComponents()) {
            String path = prefix + c.getName();
            Object value = instance == null ? null : read(c, instance);
            Class<?> ct = c.getType();
            if (ct.isRecord()) {
                collect(path + ".", ct, value != null ? value : allNulls(ct.asSubclass(Record.class)), keys);
                continue;
            }
            keys.add(new Key(path, value == null ? "" : yaml(value), isRequired(c)));
            Class<?> mapValue = mapValueType(c.getGenericType());
            if (mapValue != null && mapValue.isRecord()) {
                collect(path + ".NAME.", mapValue, allNulls(mapValue.asSubclass(Record.class)), keys);
            }
        }
    }

    private static boolean isRequired(RecordComponent c) {
        // A record component's annotation lands where its targets allow: JsonProperty's on the accessor.
        JsonProperty p = c.getAccessor().getAnnotation(JsonProperty.class);
        return p != null && p.required();
    }

    private static Class<?> mapValueType(Type t) {
        if (t instanceof ParameterizedType p && p.getRawType() == Map.class
                && p.getActualTypeArguments()[1] instanceof Class<?> v) {
            return v;
        }
        return null;
    }

    private static Object read(RecordComponent c, Object instance) {
        try {
            return c.getAccessor().invoke(instance);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + c, e);
        }
    }

    /** The record its constructor makes of all nulls; null where it refuses them (a key without which it is wrong). */
    private static Record allNulls(Class<? extends Record> type) {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
        }
        try {
            Constructor<? extends Record> constructor = type.getDeclaredConstructor(types);
            constructor.setAccessible(true);
            return constructor.newInstance(new Object[components.length]);
        } catch (InvocationTargetException e) {
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + type, e);
        }
    }

    /** A default as it would be written in the YAML file. */
    static String yaml(Object value) {
        if (value instanceof Duration d) {
            return Durations.format(d);
        }
        if (value instanceof InetSocketAddress a) {
            return a.getHostString() + ":" + a.getPort();
        }
        if (value instanceof Enum<?> e) {
            return wireName(e);
        }
        if (value instanceof Collection<?> c) {
            return c.stream().map(ConfigKeys::yaml).collect(Collectors.joining(", ", "[", "]"));
        }
        if (value instanceof Map<?, ?> m) {
            return m.entrySet().stream().map(e -> yaml(e.getKey()) + ": " + yaml(e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
        }
        return String.valueOf(value);
    }

    /** The name the YAML file uses: the {@link JsonValue} method's, else the constant's. */
    private static String wireName(Enum<?> e) {
        for (Method m : e.getDeclaringClass().getMethods()) {
            if (m.isAnnotationPresent(JsonValue.class) && m.getParameterCount() == 0) {
                try {
                    return String.valueOf(m.invoke(e));
                } catch (ReflectiveOperationException ex) {
                    throw new IllegalStateException("cannot read the YAML name of " + e, ex);
                }
            }
        }
        return e.name();
    }
}
