package dev.hvwatch.agent.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;

/** Reads {@link AgentConfig} from YAML and turns every mistake into one sentence naming file, line and key. */
public final class ConfigLoader {
    private final ObjectMapper yaml;

    public ConfigLoader() {
        SimpleModule durations = new SimpleModule("hvwatch-durations");
        durations.addDeserializer(Duration.class, new JsonDeserializer<>() {
            @Override
            public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                try {
                    return Durations.parse(p.getValueAsString(""));
                } catch (IllegalArgumentException e) {
                    throw JsonMappingException.from(p, e.getMessage(), e);
                }
            }
        });
        yaml = new ObjectMapper(new YAMLFactory())
                .registerModule(durations)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    }

    public AgentConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(file.toString(), text);
    }

    /** {@code origin} names the text in messages: a path, or "embedded default". */
    public AgentConfig parse(String origin, String text) throws ConfigException {
        if (text.isBlank()) {
            return AgentConfig.defaults();
        }
        try {
            AgentConfig config = yaml.readValue(text, AgentConfig.class);
            return config != null ? config : AgentConfig.defaults();
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds().stream().map(Object::toString).sorted()
                    .collect(Collectors.joining(", "));
            throw new ConfigException(where(origin, tokenLocation(e)) + "unknown key '" + keyPath(e) + "' (known here: "
                    + known + ")", e);
        } catch (ValueInstantiationException e) {
            Throwable reason = e.getCause() != null ? e.getCause() : e;
            throw new ConfigException(where(origin, e.getLocation()) + reason.getMessage(), e);
        } catch (JsonMappingException e) {
            throw new ConfigException(where(origin, e.getLocation()) + "at '" + keyPath(e) + "': "
                    + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(where(origin, e.getLocation()) + "not valid YAML: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Where the offending key starts. The exception's own location is where the parser stopped, which for YAML is
     * already past the value, often on the next line.
     */
    private static JsonLocation tokenLocation(JsonProcessingException e) {
        return e.getProcessor() instanceof JsonParser p ? p.currentTokenLocation() : e.getLocation();
    }

    private static String where(String origin, JsonLocation location) {
        return location == null ? origin + ": " : origin + ":" + location.getLineNr() + ":" + location.getColumnNr() + ": ";
    }

    private static String keyPath(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
    }
}
