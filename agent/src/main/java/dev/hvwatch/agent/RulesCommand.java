package dev.hvwatch.agent;

import dev.hvwatch.agent.rules.NistCoverage;
import dev.hvwatch.agent.rules.RulePack;
import dev.hvwatch.agent.rules.RuleSpec;
import dev.hvwatch.agent.rules.RuleTester;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hvwatch-agent rules …}: the rules in force, and their unit tests. */
@Command(name = "rules", description = "Show the rules in force, or run rule unit tests.",
        subcommands = {RulesCommand.ListRules.class, RulesCommand.Test.class, RulesCommand.Coverage.class})
final class RulesCommand {

    @Command(name = "list", description = "List the rules in force: the default pack and the configured rule files.")
    static final class ListRules implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--markdown", description = "Print a Markdown table (the one in docs/rules.md).")
        boolean markdown;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            RulePack pack = RulePack.load(config.load().rules().files());
            PrintWriter out = spec.commandLine().getOut();
            if (markdown) {
                out.println("| rule | severity | category | scope | NIST | title |");
                out.println("| --- | --- | --- | --- | --- | --- |");
                for (RuleSpec r : pack.specs()) {
                    out.printf("| `%s` | %s | %s | %s | %s | %s |%n", r.id(), r.severity().wireName(),
                            r.category().wireName(), r.scope(), r.nist().isEmpty() ? "-" : String.join(", ", r.nist()),
                            r.title());
                }
                return 0;
            }
            out.printf("%-26s %-9s %-11s %-8s %-22s %s%n", "RULE", "SEVERITY", "CATEGORY", "SCOPE", "NIST", "TITLE");
            for (RuleSpec r : pack.specs()) {
                out.printf("%-26s %-9s %-11s %-8s %-22s %s%n", r.id(), r.severity().wireName(),
                        r.category().wireName(), r.scope(), r.nist().isEmpty() ? "-" : String.join(",", r.nist()),
                        r.title());
            }
            return 0;
        }
    }

    @Command(name = "coverage", description = "Show how the rules in force cover NIST SP 800-125A's 22 "
            + "recommendations: covered, partly covered or not observable from the host, why, and by which rules.")
    static final class Coverage implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--markdown", description = "Print a Markdown table (the one in docs/nist-coverage.md).")
        boolean markdown;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            List<NistCoverage.Line> lines = NistCoverage.of(RulePack.load(config.load().rules().files()));
            PrintWriter out = spec.commandLine().getOut();
            if (markdown) {
                out.println("| item | recommendation | status | why | rules |");
                out.println("| --- | --- | --- | --- | --- |");
            } else {
                out.printf("%-9s %-15s %s%n", "ITEM", "STATUS", "RULES / WHY");
            }
            for (NistCoverage.Line l : lines) {
                String rules = l.rules().isEmpty() ? "-" : String.join(", ", l.rules());
                NistCoverage.Item i = l.item();
                if (markdown) {
                    out.printf("| %s | %s | %s | %s | %s |%n", i.id(), i.gist(), i.status().text(), i.reason(),
                            l.rules().isEmpty() ? "-" : "`" + String.join("`, `", l.rules()) + "`");
                } else {
                    out.printf("%-9s %-15s %s%n%26s%s%n", i.id(), i.status().text(), rules, "", i.reason());
                }
            }
            return 0;
        }
    }

    @Command(name = "test", description = "Run rule unit tests (YAML, in the spirit of promtool test rules). "
            + "Exit 0 when all pass, 1 when one fails, 2 when a file is wrong.")
    static final class Test implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE", description = "Rule test files.")
        List<Path> files;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            int failed = 0;
            int total = 0;
            for (Path f : files) {
                for (RuleTester.Result r : RuleTester.run(f)) {
                    total++;
                    if (r.passed()) {
                        out.println("PASS " + f + ": " + r.name());
                    } else {
                        failed++;
                        out.println("FAIL " + f + ": " + r.name());
                        r.problems().forEach(p -> out.println("    " + p));
                    }
                }
            }
            out.println((total - failed) + " passed, " + failed + " failed");
            return failed == 0 ? 0 : AgentMain.EXIT_RUNTIME;
        }
    }
}
