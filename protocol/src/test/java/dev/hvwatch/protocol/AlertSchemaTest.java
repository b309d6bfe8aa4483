package dev.hvwatch.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The published alert schema, its examples and the {@link Alert} record agree: every example validates and survives
 * a round trip through {@link AlertJson} unchanged, the record's JSON names exactly the schema's properties, alerts
 * of every category built with the record validate, the examples in docs/alert-schema.md are the example files, and
 * broken alerts are refused with the path of what is wrong.
 */
class AlertSchemaTest {
    private static final Path EXAMPLES = Path.of("..", "docs", "alerts", "examples");
    private static final Path DOC = Path.of("..", "docs", "alert-schema.md");
    private static final String RUNBOOKS = "file:///usr/share/doc/hvwatch-agent/runbooks/";

    static Stream<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            return files.filter(f -> f.toString().endsWith(".json")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void everyExampleFollowsTheSchemaAndIsWhatTheRecordWritesBack(Path example) throws IOException {
        String json = Files.readString(example);
        assertThat(AlertSchemaCheck.problems(json)).isEmpty();
        JsonNode tree = AlertJson.mapper().readTree(json);
        assertThat(AlertJson.mapper().readTree(AlertJson.toLine(AlertJson.parse(json))))
                .as("parsed by AlertJson and written again").isEqualTo(tree);
        String name = example.getFileName().toString();
        if (name.startsWith("notice-")) {
            String kind = name.substring("notice-".length(), name.length() - ".json".length());
            assertThat(AlertSchemaCheck.noticeProblems(kind, tree.get("evidence"))).isEmpty();
        }
    }

    @Test
    void thereIsAnExampleForEveryCategoryAndEveryNoticeKind() throws IOException {
        Set<String> expected = new TreeSet<>();
        for (Category c : Category.values()) {
            expected.add("category-" + c.wireName() + ".json");
        }
        AlertSchemaCheck.noticeKinds().forEach(kind -> expected.add("notice-" + kind + ".json"));
        assertThat(examples().map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(expected);
        for (Category c : Category.values()) {
            JsonNode example = AlertJson.mapper()
                    .readTree(EXAMPLES.resolve("category-" + c.wireName() + ".json").toFile());
            assertThat(example.get("category").asText()).isEqualTo(c.wireName());
        }
    }

    @Test
    void theRecordsJsonNamesExactlyTheSchemasProperties() {
        JsonNode schema = AlertSchemaCheck.schemaTree();
        ObjectNode full = (ObjectNode) AlertJson.mapper().valueToTree(alert(Category.STARVATION));
        assertThat(names(full)).isEqualTo(names(schema.get("properties")));
        assertThat(names(full.get("vm"))).isEqualTo(names(schema.at("/$defs/vm/properties")));

        Alert bare = new Alert("a", "hv-1", 0, AlertTime.format(Instant.EPOCH), "hv-1", "r", null, Severity.INFO,
                Category.AGENT, AlertState.FIRING, null, null, null, null, null, null, null);
        Set<String> required = new TreeSet<>();
        schema.get("required").forEach(r -> required.add(r.asText()));
        assertThat(names(AlertJson.mapper().valueToTree(bare))).as("what an alert always carries")
                .isEqualTo(required);
        assertThat(AlertSchemaCheck.problems(AlertJson.toLine(bare))).isEmpty();
    }

    @Test
    void alertsOfEveryCategoryBuiltWithTheRecordFollowTheSchema() {
        for (Category c : Category.values()) {
            AlertSchemaCheck.assertValid(alert(c));
        }
    }

    static Stream<Arguments> brokenAlerts() {
        return Stream.of(
                Arguments.of("missing field", (Consumer<ObjectNode>) a -> a.remove("rule"), "/", "rule"),
                Arguments.of("bad severity", (Consumer<ObjectNode>) a -> a.put("severity", "urgent"), "/severity",
                        "enum"),
                Arguments.of("bad category", (Consumer<ObjectNode>) a -> a.put("category", "speed"), "/category",
                        "enum"),
                Arguments.of("seq as text", (Consumer<ObjectNode>) a -> a.put("seq", "12"), "/seq", "integer"),
                Arguments.of("time without nanoseconds",
                        (Consumer<ObjectNode>) a -> a.put("time", "2026-12-07T09:14:03Z"), "/time", "pattern"),
                Arguments.of("unknown field", (Consumer<ObjectNode>) a -> a.put("priority", 3), "/", "priority"),
                Arguments.of("vm pid as text", (Consumer<ObjectNode>) a -> ((ObjectNode) a.get("vm")).put("pid", "x"),
                        "/vm/pid", "integer"),
                Arguments.of("unknown vm field",
                        (Consumer<ObjectNode>) a -> ((ObjectNode) a.get("vm")).put("tenant", "x"), "/vm", "tenant"),
                Arguments.of("bad NIST item",
                        (Consumer<ObjectNode>) a -> a.putArray("nist").add("SP-800-53"), "/nist/0", "pattern"),
                Arguments.of("evidence not an object", (Consumer<ObjectNode>) a -> a.put("evidence", "fired"),
                        "/evidence", "object"),
                Arguments.of("null title", (Consumer<ObjectNode>) a -> a.putNull("title"), "/title", "string"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenAlerts")
    void brokenAlertsAreRefusedNamingThePath(String what, Consumer<ObjectNode> breakIt, String path, String word) {
        ObjectNode alert = AlertJson.mapper().valueToTree(alert(Category.STARVATION));
        breakIt.accept(alert);
        assertThat(AlertSchemaCheck.problems(alert)).as(what).isNotEmpty()
                .allSatisfy(p -> assertThat(p).startsWith(path + ": ").contains(word));
    }

    @Test
    void noticeFactsAreCheckedPerKind() throws IOException {
        JsonNode evidence = AlertJson.mapper().readTree("{\"condition\": \"count_over(10m) >= 1\", \"reason\": \"x\"}");
        assertThat(AlertSchemaCheck.noticeProblems("iommu.fault", evidence)).singleElement(STRING)
                .startsWith("/: ").contains("vendor");
        assertThat(AlertSchemaCheck.noticeProblems("vm.teleported", evidence)).singleElement(STRING)
                .contains("no notice kind 'vm.teleported'");
    }

    /** The category examples shown in docs/alert-schema.md are the example files, so the page cannot drift. */
    @Test
    void theDocumentsExamplesAreTheExampleFiles() throws IOException {
        Matcher block = Pattern.compile("```json\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(DOC));
        List<JsonNode> shown = new ArrayList<>();
        while (block.find()) {
            JsonNode alert = AlertJson.mapper().readTree(block.group(1));
            assertThat(AlertSchemaCheck.problems(alert)).as(block.group(1)).isEmpty();
            shown.add(alert);
        }
        for (Category c : Category.values()) {
            String name = "category-" + c.wireName() + ".json";
            JsonNode file = AlertJson.mapper().readTree(EXAMPLES.resolve(name).toFile());
            assertThat(shown).as("docs/alert-schema.md shows " + name).contains(file);
        }
    }

    private static Set<String> names(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** An alert with every field set, as the agent builds one; the category decides nothing else. */
    private static Alert alert(Category category) {
        VmRef vm = new VmRef("instance-0000002a", "9b2d3c4e-1111-4222-8333-944455556666", 4242, "shop-frontend",
                "web-shop", "4c2e6a5b-9d1f-4e3a-8b7c-2a1d0e9f8c7b", "alice", "m1.small", "libvirt");
        return new Alert("6c1f0e64-3d0b-4c56-9a57-0d8f3f1c2b11", "hv-07", 17,
                AlertTime.format(Instant.parse("2026-12-07T09:14:03.5Z")), "hv-07", "some-rule", "Some rule",
                Severity.HIGH, category, AlertState.RESOLVED, vm, 1, "0000:3b:00.0", List.of("HY-SR-5", "HY-SR-6C"),
                Map.of("condition", "x > 1", "x", 0.5), "A sentence.", RUNBOOKS + "some-rule.md");
    }
}
