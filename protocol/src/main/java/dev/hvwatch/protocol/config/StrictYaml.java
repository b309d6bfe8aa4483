package dev.hvwatch.protocol.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads agent and collector configuration files the same strict way: unknown keys, wrong types, missing required
 * keys and values a record's constructor refuses all become one {@link ConfigException} of the form
 * {@code FILE line N: what is wrong}, naming the key. Durations are written {@code 500ms}, {@code 10s}, {@code 5m}.
 */
public final class StrictYaml {
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .addModule(new SimpleModule("hvwatch-config").addDeserializer(Duration.class, new DurationText()))
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    private StrictYaml() {
    }

    public static <T> T load(Path file, Class<T> type) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        return read(file.toString(), text, type);
    }

    /**
     * @param origin names the text in messages: a path, or "embedded default"
     * @return the parsed value, or null for a text with no content
     */
    public static <T> T read(String origin, String text, Class<T> type) throws ConfigException {
        if (text.isBlank()) {
            return null;
        }
        try {
            return YAML.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new ConfigException(origin + describe(e, text), e);
        }
    }

    private static String describe(JsonProcessingException e, String yaml) {
        if (e.getCause() instanceof MarkedYAMLException syntax && syntax.getProblemMark() != null) {
            return " line " + (syntax.getProblemMark().getLine() + 1) + ": not valid YAML: " + syntax.getProblem();
        }
        if (!(e instanceof JsonMappingException mapping) || mapping.getPath().isEmpty()) {
            JsonLocation location = e.getLocation();
            return (location == null ? "" : " line " + location.getLineNr()) + ": not valid YAML: "
                    + e.getOriginalMessage();
        }
        String key = keyPath(mapping.getPath());
        KeyLine found = locate(yaml, pointer(mapping.getPath()));
        String line = found.line() > 0 ? " line " + found.line() : "";
        if (e instanceof UnrecognizedPropertyException unknown) {
            return line + ": unknown key '" + key + "' (known there: " + unknown.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")";
        }
        if (e instanceof ValueInstantiationException && e.getCause() != null) {
            return line + ": " + e.getCause().getMessage();
        }
        if (!found.exact()) {
            return line + ": missing key '" + key + "'";
        }
        return line + ": " + key + ": " + e.getOriginalMessage();
    }

    /** The line of the key at {@code pointer} (or its closest enclosing key) in a YAML text, or 0. */
    public static int lineOf(String yaml, JsonPointer pointer) {
        return locate(yaml, pointer).line();
    }

    /** Where the key at fault, or failing that its closest enclosing key, is written in the file. */
    private record KeyLine(int line, boolean exact) {
    }

    /**
     * Finds a key's line by reading the text again: Jackson reports errors in records only once the whole object
     * is read, so its own location points past the key.
     */
    private static KeyLine locate(String yaml, JsonPointer target) {
        KeyLine best = new KeyLine(0, false);
        int bestDepth = 0;
        String wanted = target.toString();
        try (JsonParser parser = YAML.createParser(yaml)) {
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                if (token != JsonToken.FIELD_NAME) {
                    continue;
                }
                String at = parser.getParsingContext().pathAsPointer().toString();
                int depth = at.split("/", -1).length;
                if ((wanted.equals(at) || wanted.startsWith(at + "/")) && depth > bestDepth) {
                    bestDepth = depth;
                    best = new KeyLine(parser.currentTokenLocation().getLineNr(), wanted.equals(at));
                }
            }
        } catch (IOException e) {
            // The text was parsed once already; failing now merely costs the line number.
        }
        return best;
    }

    private static JsonPointer pointer(List<JsonMappingException.Reference> path) {
        JsonPointer pointer = JsonPointer.empty();
        for (JsonMappingException.Reference reference : path) {
            pointer = reference.getFieldName() != null
                    ? pointer.appendProperty(reference.getFieldName())
                    : pointer.appendIndex(reference.getIndex());
        }
        return pointer;
    }

    private static String keyPath(List<JsonMappingException.Reference> path) {
        StringBuilder key = new StringBuilder();
        for (JsonMappingException.Reference reference : path) {
            if (reference.getFieldName() != null) {
                key.append(key.length() == 0 ? "" : ".").append(reference.getFieldName());
            } else {
                key.append('[').append(reference.getIndex()).append(']');
            }
        }
        return key.toString();
    }

    private static final class DurationText extends StdScalarDeserializer<Duration> {
        DurationText() {
            super(Duration.class);
        }

        @Override
        public Duration deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            String text = parser.getValueAsString();
            try {
                return Durations.parse(text == null ? "" : text);
            } catch (IllegalArgumentException e) {
                return (Duration) context.handleWeirdStringValue(Duration.class, parser.getText(), e.getMessage());
            }
        }
    }
}
