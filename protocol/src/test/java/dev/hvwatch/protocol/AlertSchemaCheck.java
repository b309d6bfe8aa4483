package dev.hvwatch.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.PathType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Validates alerts against the published schema {@code alert.schema.json} (draft 2020-12, formats asserted), for the
 * tests of every module that produces or passes on alerts. Problems read {@code /json/pointer: message}.
 */
public final class AlertSchemaCheck {
    public static final String RESOURCE = "dev/hvwatch/protocol/alert.schema.json";
    private static final String NOTICE_FACTS = "/$defs/notice_facts/$defs";

    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            builder -> builder.schemaRegistryConfig(SchemaRegistryConfig.builder()
                    .formatAssertionsEnabled(true).pathType(PathType.JSON_POINTER).build()));
    private static final Schema ALERT = REGISTRY.getSchema(SchemaLocation.of("classpath:" + RESOURCE));

    private AlertSchemaCheck() {
    }

    /** The schema document itself, for tests that compare it with the code. */
    public static JsonNode schemaTree() {
        try (InputStream in = AlertSchemaCheck.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path");
            }
            return AlertJson.mapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What is wrong with one alert's JSON; empty when it is valid. */
    public static List<String> problems(JsonNode alert) {
        return describe(ALERT.validate(alert));
    }

    public static List<String> problems(String json) {
        return problems(tree(json));
    }

    /** What is wrong with the facts a notice of {@code kind} put in an alert's evidence. */
    public static List<String> noticeProblems(String kind, JsonNode evidence) {
        if (!noticeKinds().contains(kind)) {
            return List.of("the schema describes no notice kind '" + kind + "'");
        }
        Schema facts = REGISTRY.getSchema(SchemaLocation.of("classpath:" + RESOURCE + "#" + NOTICE_FACTS + "/" + kind));
        return describe(facts.validate(evidence));
    }

    /** The notice kinds whose facts the schema describes. */
    public static Set<String> noticeKinds() {
        Set<String> kinds = new TreeSet<>();
        Iterator<String> names = schemaTree().at(NOTICE_FACTS).fieldNames();
        names.forEachRemaining(kinds::add);
        return kinds;
    }

    /** Fails naming every problem when the alert's JSON does not follow the schema. */
    public static void assertValid(String json) {
        List<String> problems = problems(json);
        if (!problems.isEmpty()) {
            throw new AssertionError("alert does not follow " + RESOURCE + ": " + problems + "\n  " + json);
        }
    }

    public static void assertValid(Alert alert) {
        assertValid(AlertJson.toLine(alert));
    }

    private static JsonNode tree(String json) {
        try {
            return AlertJson.mapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON: " + e.getOriginalMessage() + "\n  " + json, e);
        }
    }

    private static List<String> describe(List<Error> errors) {
        List<String> out = new ArrayList<>(errors.size());
        for (Error e : errors) {
            String at = e.getInstanceLocation().toString();
            out.add((at.isEmpty() ? "/" : at) + ": " + e.getMessage());
        }
        return out;
    }
}
