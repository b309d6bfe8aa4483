package dev.hvwatch.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The dashboards are provisioning-ready: data source as a variable, unique uids, and only series that exist. */
class DashboardsTest {

    @Test
    void theFourDashboardsExist() throws Exception {
        assertThat(Expressions.dashboards()).extracting(p -> p.getFileName().toString()).containsExactly(
                "hvwatch-alerts-posture.json", "hvwatch-host-overview.json", "hvwatch-vm-exits.json",
                "hvwatch-vm-fairness.json");
    }

    @Test
    void everyDashboardTakesItsDataSourceFromAVariableAndHasAUniqueUid() throws Exception {
        Set<String> uids = new HashSet<>();
        for (Path d : Expressions.dashboards()) {
            JsonNode json = Expressions.read(d);
            assertThat(uids.add(json.path("uid").asText())).as("%s: uid unique", d).isTrue();
            assertThat(json.path("uid").asText()).as("%s: uid", d).matches("[a-z0-9-]{1,40}");
            assertThat(json.path("id").isMissingNode() || json.path("id").isNull())
                    .as("%s: no instance-specific id, so that provisioning assigns one", d).isTrue();
            JsonNode ds = json.path("templating").path("list").get(0);
            assertThat(ds.path("type").asText()).as("%s: first variable", d).isEqualTo("datasource");
            assertThat(ds.path("query").asText()).isEqualTo("prometheus");
            for (JsonNode p : json.path("panels")) {
                JsonNode grid = p.path("gridPos");
                assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as("%s '%s' fits the 24-column grid", d,
                        p.path("title").asText()).isLessThanOrEqualTo(24);
                if (p.path("type").asText().equals("row")) {
                    continue;
                }
                assertThat(p.path("datasource").path("uid").asText()).as("%s '%s'", d, p.path("title").asText())
                        .isEqualTo("${datasource}");
                assertThat(p.path("targets")).as("%s '%s' has queries", d, p.path("title").asText()).isNotEmpty();
                for (JsonNode t : p.path("targets")) {
                    assertThat(t.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
                }
            }
        }
    }

    /**
     * Every series a dashboard or rule reads is one the agent documents (docs/metrics.md; KVM statistics
     * are documented as a family, {@code hvwatch_kvm_<stat>}) or one the rule file records: a misspelt name would
     * only ever draw an empty panel.
     */
    @Test
    void everySeriesReadIsDocumentedOrRecorded() throws Exception {
        String metricsDoc = Files.readString(Path.of("../docs/metrics.md"));
        Set<String> documented = new HashSet<>();
        Matcher m = Pattern.compile("\\b(hvwatch|process|jvm)_[a-z0-9_]+").matcher(metricsDoc);
        while (m.find()) {
            documented.add(m.group());
        }
        Set<String> recorded = Expressions.recorded();
        List<Expressions.Expression> all = Expressions.all();
        assertThat(all).hasSizeGreaterThan(40);
        for (Expressions.Expression e : all) {
            for (String metric : e.metrics()) {
                assertThat(documented.contains(metric) || recorded.contains(metric)
                        || metric.startsWith("hvwatch_kvm_"))
                        .as("%s reads %s, which docs/metrics.md does not document and no rule records", e.where(), metric)
                        .isTrue();
            }
        }
    }
}
