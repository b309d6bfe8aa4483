package dev.hvwatch.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.rules.NistCoverage;
import dev.hvwatch.agent.rules.NistCoverage.Status;
import dev.hvwatch.agent.rules.RulePack;
import dev.hvwatch.testkit.DocRegion;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code hvwatch-agent rules coverage}: all 22 recommendations, their status, and the rules that serve them. */
class RulesCoverageTest {
    @TempDir
    Path dir;

    private String run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cmd = AgentMain.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        assertThat(cmd.execute(args)).isZero();
        return out.toString();
    }

    @Test
    void everyRecommendationIsListedOnceInOrder() {
        assertThat(NistCoverage.ITEMS).extracting(NistCoverage.Item::id).containsExactly("HY-SR-1", "HY-SR-2",
                "HY-SR-3", "HY-SR-4", "HY-SR-5", "HY-SR-6A", "HY-SR-6B", "HY-SR-6C", "HY-SR-7", "HY-SR-8", "HY-SR-9",
                "HY-SR-10", "HY-SR-11", "HY-SR-12", "HY-SR-13", "HY-SR-14", "HY-SR-15", "HY-SR-16", "HY-SR-17",
                "HY-SR-18", "HY-SR-19", "HY-SR-20");
    }

    @Test
    void theDefaultPackBacksEveryCoveredItemWithRulesAndNamesNoneForWhatItCannotObserve() throws Exception {
        for (NistCoverage.Line l : NistCoverage.of(RulePack.load(List.of()))) {
            if (l.item().status() == Status.COVERED) {
                assertThat(l.rules()).as(l.item().id()).isNotEmpty();
            }
            if (l.item().status() == Status.NOT_OBSERVABLE) {
                assertThat(l.rules()).as(l.item().id()).isEmpty();
            }
        }
        assertThat(run("rules", "coverage")).contains("HY-SR-6C  covered         iommu-fault, iommu-fault-storm, "
                + "iommu-faults-suppressed, posture-iommu, posture-interrupt-remapping, posture-vfio-unsafe, "
                + "posture-acs-override, posture-passthrough-group").contains("HY-SR-18  not observable  -");
    }

    @Test
    void anOperatorsRuleCountsForTheItemsItNames() throws Exception {
        Path rules = Files.writeString(dir.resolve("mine.yaml"), """
                rules:
                  - id: libvirt-acl-changed
                    title: libvirt access policy changed
                    category: posture
                    severity: medium
                    nist: [HY-SR-18]
                    scope: notice
                    match: file.changed
                    condition: count_over(1m) >= 1
                    message: "libvirt's access policy changed"
                """);
        Path config = Files.writeString(dir.resolve("agent.yaml"), "rules:\n  files: [" + rules + "]\n");

        assertThat(run("rules", "coverage", "-c", config.toString()))
                .contains("HY-SR-18  not observable  libvirt-acl-changed");
    }

    @Test
    void theDocsShowTheSameTable() {
        DocRegion.of("docs/nist-coverage.md", "nist-coverage").assertHolds(
                run("rules", "coverage", "--markdown").replace(System.lineSeparator(), "\n"),
                "mvn -B -pl agent -am test -Dtest=RulesCoverageTest -Dsurefire.failIfNoSpecifiedTests=false");
    }
}
