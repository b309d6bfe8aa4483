package dev.hvwatch.collector.output.format;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One OCSF release's definitions of the Detection Finding and the objects hvwatch writes, as transcribed in a test
 * resource (see its header), and a check of an event against them: every attribute of every object defined there
 * (an unknown one is refused wherever it appears, except inside {@code unmapped}), with its type, array-ness, enum
 * and profile; the required attributes and at-least-one constraints of each object; no deprecated attribute.
 */
final class OcsfSchema {
    private static final Set<String> TEXT_TYPES = Set.of("string_t", "username_t", "resource_uid_t", "hostname_t",
            "url_t", "email_t", "ip_t");

    private final String version;
    private final Map<String, Definition> definitions;

    record Attribute(String name, String type, boolean array, String requirement, String profile, Set<Long> enumIds,
            boolean deprecated) {
    }

    record Definition(String name, Map<String, Attribute> attributes, List<String> atLeastOne) {
    }

    private OcsfSchema(String version, Map<String, Definition> definitions) {
        this.version = version;
        this.definitions = definitions;
    }

    static OcsfSchema load(String resource) {
        try (InputStream in = OcsfSchema.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + resource);
            }
            return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static OcsfSchema parse(List<String> lines) {
        String version = null;
        Map<String, Definition> definitions = new HashMap<>();
        Definition current = null;
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] words = line.trim().split(" ");
            if (line.startsWith("version ")) {
                version = words[1];
            } else if (line.startsWith("event ") || line.startsWith("object ")) {
                List<String> atLeastOne = List.of();
                for (String word : words) {
                    if (word.startsWith("at_least_one=")) {
                        atLeastOne = List.of(word.substring("at_least_one=".length()).split(","));
                    }
                }
                current = new Definition(words[1], new LinkedHashMap<>(), atLeastOne);
                definitions.put(words[1], current);
            } else {
                Attribute attribute = attribute(words);
                current.attributes().put(attribute.name(), attribute);
            }
        }
        return new OcsfSchema(version, definitions);
    }

    private static Attribute attribute(String[] words) {
        String type = words[1];
        boolean array = type.endsWith("[]");
        String profile = null;
        Set<Long> enumIds = null;
        boolean deprecated = false;
        for (int i = 3; i < words.length; i++) {
            if (words[i].startsWith("profile=")) {
                profile = words[i].substring("profile=".length());
            } else if (words[i].startsWith("enum=")) {
                enumIds = new TreeSet<>();
                for (String id : words[i].substring("enum=".length()).split(",")) {
                    enumIds.add(Long.parseLong(id));
                }
            } else if (words[i].equals("deprecated")) {
                deprecated = true;
            }
        }
        return new Attribute(words[0], array ? type.substring(0, type.length() - 2) : type, array, words[2], profile,
                enumIds, deprecated);
    }

    String version() {
        return version;
    }

    /** What is wrong with {@code event} as a Detection Finding of this release; empty when nothing is. */
    List<String> problems(JsonNode event) {
        Set<String> profiles = new HashSet<>();
        event.path("metadata").path("profiles").forEach(p -> profiles.add(p.asText()));
        List<String> problems = new ArrayList<>();
        check(event, "detection_finding", "", profiles, problems);
        return problems;
    }

    private void check(JsonNode node, String type, String path, Set<String> profiles, List<String> problems) {
        Definition definition = definitions.get(type);
        if (definition == null) {
            problems.add(path + ": object " + type + " has no transcription for OCSF " + version);
            return;
        }
        node.fields().forEachRemaining(field -> {
            String at = path + "/" + field.getKey();
            Attribute attribute = definition.attributes().get(field.getKey());
            if (attribute == null) {
                problems.add(at + ": " + type + " has no attribute " + field.getKey() + " in OCSF " + version);
            } else {
                checkAttribute(field.getValue(), attribute, at, profiles, problems);
            }
        });
        for (Attribute attribute : definition.attributes().values()) {
            boolean applies = attribute.profile() == null || profiles.contains(attribute.profile());
            if (attribute.requirement().equals("required") && applies && !node.has(attribute.name())) {
                problems.add(path + ": " + type + " requires " + attribute.name());
            }
        }
        if (!definition.atLeastOne().isEmpty() && definition.atLeastOne().stream().noneMatch(node::has)) {
            problems.add(path + ": " + type + " needs at least one of " + definition.atLeastOne());
        }
    }

    private void checkAttribute(JsonNode value, Attribute attribute, String at, Set<String> profiles,
            List<String> problems) {
        if (attribute.deprecated()) {
            problems.add(at + ": deprecated in OCSF " + version);
        }
        if (attribute.profile() != null && !profiles.contains(attribute.profile())) {
            problems.add(at + ": belongs to profile " + attribute.profile() + ", which metadata.profiles lacks");
        }
        if (attribute.array()) {
            if (!value.isArray()) {
                problems.add(at + ": an array of " + attribute.type() + " expected, got " + value.getNodeType());
                return;
            }
            for (int i = 0; i < value.size(); i++) {
                checkValue(value.get(i), attribute, at + "/" + i, profiles, problems);
            }
        } else {
            checkValue(value, attribute, at, profiles, problems);
        }
    }

    private void checkValue(JsonNode value, Attribute attribute, String at, Set<String> profiles,
            List<String> problems) {
        String type = attribute.type();
        boolean fits = switch (type) {
            case "integer_t" -> value.canConvertToInt() && value.isIntegralNumber();
            case "long_t", "timestamp_t" -> value.isIntegralNumber();
            case "float_t" -> value.isNumber();
            case "boolean_t" -> value.isBoolean();
            case "json_t" -> true;
            case "object" -> value.isObject();
            default -> TEXT_TYPES.contains(type) ? value.isTextual() : value.isObject();
        };
        if (!fits) {
            problems.add(at + ": " + type + " expected, got " + value);
            return;
        }
        if (attribute.enumIds() != null && !attribute.enumIds().contains(value.asLong())) {
            problems.add(at + ": " + value + " is not among " + attribute.enumIds());
        }
        if (value.isObject() && !type.equals("object") && !type.equals("json_t")) {
            check(value, type, at, profiles, problems);
        }
    }
}
