package dev.hvwatch.collector.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** Reads {@code collector.yaml} strictly: unknown keys and bad values are errors that name the key and its line. */
public final class ConfigLoader {
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private ConfigLoader() {
    }

    public static CollectorConfig load(Path file) throws ConfigException {
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        CollectorConfig config;
        try {
            config = yaml.isBlank() ? null : YAML.readValue(yaml, CollectorConfig.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + describe(e, yaml), e);
        }
        if (config == null) {
            throw new ConfigException(file + ": empty, but tls is required");
        }
        return config.resolvedAgainst(file.toAbsolutePath().getParent());
    }

    private static String describe(JsonProcessingException e, String yaml) {
        if (e instanceof ValueInstantiationException) {
            return ": " + e.getCause().getMessage();
        }
        if (!(e instanceof JsonMappingException mapping) || mapping.getPath().isEmpty()) {
            JsonLocation location = e.getLocation();
            return (location == null ? "" : " line " + location.getLineNr()) + ": " + e.getOriginalMessage();
        }
        String key = keyPath(mapping.getPath());
        KeyLine found = locate(yaml, pointer(mapping.getPath()));
        String line = found.line() > 0 ? " line " + found.line() : "";
        if (e instanceof UnrecognizedPropertyException unknown) {
            return line + ": unknown key '" + key + "' (known there: " + unknown.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")";
        }
        if (!found.exact()) {
            return line + ": missing key '" + key + "'";
        }
        return line + ": " + key + ": " + e.getOriginalMessage();
    }

    /** Where the key at fault, or failing that its closest enclosing key, is written in the file. */
    private record KeyLine(int line, boolean exact) {
    }

    /**
     * Finds a key's line by reading the file again: Jackson reports errors in records only once the whole object is
     * read, so its own location points past the key.
     */
    private static KeyLine locate(String yaml, JsonPointer target) {
        KeyLine best = new KeyLine(0, false);
        int bestDepth = 0;
        try (JsonParser parser = YAML.createParser(yaml)) {
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                if (token != JsonToken.FIELD_NAME) {
                    continue;
                }
                String at = parser.getParsingContext().pathAsPointer().toString();
                String wanted = target.toString();
                int depth = at.split("/", -1).length;
                if ((wanted.equals(at) || wanted.startsWith(at + "/")) && depth > bestDepth) {
                    bestDepth = depth;
                    best = new KeyLine(parser.currentTokenLocation().getLineNr(), wanted.equals(at));
                }
            }
        } catch (IOException e) {
            // The file was parsed once already; failing now merely costs the line number.
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
}
