package dev.hvwatch.agent.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.spool.SpoolOverflowAlarm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every rule of the default pack, and every alert the agent raises itself, has a runbook,
 * {@code docs/runbooks/<rule-id>.md}, every runbook a rule, and each of the pack's states its rule's severity, NIST
 * items, condition and the rest as the pack does ({@link Runbooks}). Alerts link them in {@code runbook_url}.
 * <p>
 * After a change to the pack, regenerate the runbooks' rule facts and the index, then review the diff and the prose:
 * {@code mvn -pl agent -am test -Dtest=RunbooksTest -Dsurefire.failIfNoSpecifiedTests=false -Drunbooks.update=true}
 */
class RunbooksTest {
    private static final Path DOCS = Path.of("..", "docs", "runbooks");
    /** The alerts the agent raises outside the rule pack. */
    private static final Set<String> BUILT_IN = Set.of(SpoolOverflowAlarm.RULE);

    @TempDir
    Path dir;

    @Test
    void theRunbooksAgreeWithTheDefaultPack() throws Exception {
        RulePack pack = RulePack.load(List.of());
        if (Boolean.getBoolean("runbooks.update")) {
            Runbooks.update(DOCS, pack);
        }

        assertThat(Runbooks.problems(DOCS, pack, BUILT_IN)).as("docs/runbooks against the default pack (regenerate the rule "
                + "facts with -Drunbooks.update=true, then review the diff)").isEmpty();
    }

    @Test
    void aMissingRunbookAStrayOneAndStatedFactsThatDriftAreEachCaught() throws Exception {
        RulePack pack = RulePack.load(List.of());
        try (Stream<Path> files = Files.list(DOCS)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        List<String> before = Runbooks.problems(dir, pack, BUILT_IN);
        Files.delete(dir.resolve("posture-tpm.md"));
        Files.writeString(dir.resolve("vm-teleported.md"), Files.readString(dir.resolve("vm-migrated.md")));
        Path fault = dir.resolve("iommu-fault.md");
        Files.writeString(fault, Files.readString(fault).replace("**Severity** high", "**Severity** low"));
        Path smt = dir.resolve("posture-smt.md");
        Files.writeString(smt, Files.readString(smt).replace("HY-SR-2 (", "HY-SR-4 ("));
        Path ksm = dir.resolve("posture-ksm.md");
        Files.writeString(ksm, Files.readString(ksm).replace("## Mitigation", "## What to do"));
        Path spool = dir.resolve("agent-spool-overflow.md");
        Files.writeString(spool, Files.readString(spool).replace("## Impact", "## Effect"));

        List<String> found = new ArrayList<>(Runbooks.problems(dir, pack, BUILT_IN));
        found.removeAll(before);
        assertThat(found).satisfiesExactlyInAnyOrder(
                p -> assertThat(p).isEqualTo("rule posture-tpm has no runbook " + dir.resolve("posture-tpm.md")),
                p -> assertThat(p).isEqualTo(dir.resolve("vm-teleported.md") + ": no rule vm-teleported in the pack"),
                p -> assertThat(p).startsWith(fault + ": the rule facts differ from the pack's")
                        .contains("**Severity** low"),
                p -> assertThat(p).startsWith(smt + ": the rule facts differ from the pack's").contains("HY-SR-4 ("),
                p -> assertThat(p).isEqualTo(ksm + ": no '## Mitigation' section"),
                p -> assertThat(p).isEqualTo(spool + ": no '## Impact' section"),
                p -> assertThat(p).isEqualTo(dir.resolve("README.md") + ": links to posture-tpm.md, which does "
                        + "not exist"));
    }

    @Test
    void updateRewritesTheFactsAndTheIndexFromThePackAndKeepsTheProse() throws Exception {
        RulePack pack = RulePack.load(List.of());
        String text = Files.readString(DOCS.resolve("vcpu-starvation.md"));
        String prose = text.substring(text.indexOf(Runbooks.FACTS_END));
        Files.writeString(dir.resolve("vcpu-starvation.md"), text.replace("**Severity** high", "**Severity** info"));
        Files.writeString(dir.resolve("README.md"), "# Runbooks\n\n" + Runbooks.INDEX_BEGIN + "\nstale\n"
                + Runbooks.INDEX_END + "\n");
        Files.writeString(dir.resolve("vm-exit-storm.md"), "## Meaning\n\nA new runbook, its facts not yet added.\n");

        Runbooks.update(dir, pack);

        assertThat(Files.readString(dir.resolve("vm-exit-storm.md"))).isEqualTo(Runbooks.FACTS_BEGIN + "\n"
                + Runbooks.facts(rule(pack, "vm-exit-storm")) + Runbooks.FACTS_END
                + "\n\n## Meaning\n\nA new runbook, its facts not yet added.\n");
        assertThat(Files.readString(dir.resolve("vcpu-starvation.md")))
                .isEqualTo(Runbooks.FACTS_BEGIN + "\n" + Runbooks.facts(rule(pack, "vcpu-starvation")) + prose);
        assertThat(Files.readString(dir.resolve("README.md"))).isEqualTo("# Runbooks\n\n" + Runbooks.INDEX_BEGIN
                + "\n" + Runbooks.index(pack) + Runbooks.INDEX_END + "\n");
    }

    private static CompiledRule rule(RulePack pack, String id) {
        return pack.rules().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
    }
}
