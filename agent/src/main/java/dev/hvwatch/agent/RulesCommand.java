package dev.hvwatch.agent;

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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code hvwatch-agent rules …}: the rules in force, and their unit tests. */
@Command(name = "rules", description = "Show the rules in force, or run rule unit tests.",
        subcommands = {RulesCommand.ListRules.class, RulesCommand.Test.class})
final class RulesCommand {

    @Command(name = "list", description = "List the rules in force: the default pack and the configured rule files.")
    static final class ListRules implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            RulePack pack = RulePack.load(config.load().rules().files());
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-26s %-9s %-11s %-8s %-22s %s%n", "RULE", "SEVERITY", "CATEGORY", "SCOPE", "NIST", "TITLE");
            for (RuleSpec r : pack.specs()) {
                out.printf("%-26s %-9s %-11s %-8s %-22s %s%n", r.id(), r.severity().wireName(),
                        r.category().wireName(), r.scope(), r.nist().isEmpty() ? "-" : String.join(",", r.nist()),
                        r.title());
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
