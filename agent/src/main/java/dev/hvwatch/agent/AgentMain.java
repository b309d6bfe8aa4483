package dev.hvwatch.agent;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.config.AgentConfigFile;
import dev.hvwatch.agent.doctor.Doctor;
import dev.hvwatch.agent.doctor.Finding;
import dev.hvwatch.agent.embedded.Demo;
import dev.hvwatch.agent.embedded.EmbeddedCollector;
import dev.hvwatch.agent.rules.RulePack;
import dev.hvwatch.agent.metrics.WebConfig;
import dev.hvwatch.protocol.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code hvwatch-agent}: exit codes 0 ok, 1 runtime failure, 2 bad usage or configuration. */
@Command(name = "hvwatch-agent", mixinStandardHelpOptions = true, versionProvider = AgentMain.Version.class,
        description = "Watches this host's KVM/QEMU guests for isolation and starvation problems (NIST SP 800-125A).",
        subcommands = {AgentMain.Run.class, AgentMain.DoctorCommand.class, RulesCommand.class,
                AgentMain.CheckConfig.class, TopCommand.class})
public final class AgentMain {
    static final int EXIT_RUNTIME = 1;
    static final int EXIT_CONFIG = 2;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new AgentMain())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExitCodeExceptionMapper(e -> e instanceof ConfigException || e instanceof ParameterException
                        ? EXIT_CONFIG : EXIT_RUNTIME)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("hvwatch-agent: " + (e instanceof ConfigException ? "" : "error: ")
                            + e.getMessage());
                    return cmd.getExitCodeExceptionMapper().getExitCode(e);
                });
    }

    @Command(name = "run", description = "Run the agent until stopped (SIGTERM or Ctrl-C).")
    static final class Run implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Option(names = "--embedded-collector", description = "Also run a collector in this process, with "
                + "throw-away certificates, and print the alerts it receives. For trying hvwatch on one machine.")
        boolean embeddedCollector;

        @Option(names = "--demo", description = "Implies --embedded-collector; also starts two real QEMU/KVM test "
                + "guests pinned to one CPU, one of them at low priority, so that a starvation alert fires.")
        boolean demo;

        @Option(names = "--state-dir", description = "With --embedded-collector or --demo: where the collector "
                + "keeps its certificates and journal, and the agent its spool (default: a new temporary directory).")
        Path stateDir;

        @Override
        public Integer call() throws Exception {
            AgentConfig cfg = config.load();
            Path trialDir = demo || embeddedCollector
                    ? (stateDir != null ? stateDir : Files.createTempDirectory("hvwatch-")) : null;
            try (EmbeddedCollector collector = trialDir != null
                    ? EmbeddedCollector.start(trialDir, cfg.identity().host(), System.out)
                    : null;
                 Demo guests = demo ? Demo.start(System.out) : null) {
                if (collector != null) {
                    // A trial keeps all its state (spool, kernel-log cursor) beside its collector's, not in the
                    // host's state directory, where a real agent's spool would be.
                    cfg = cfg.withCollector(collector.agentEndpoint(cfg.collector()))
                            .withState(new AgentConfig.State(trialDir.resolve("agent")));
                }
                AgentConfigFile.requireCollectorTls(config.file, cfg);
                CountDownLatch stopped = new CountDownLatch(1);
                try (Agent agent = Agent.start(cfg)) {
                    Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "hvwatch-shutdown"));
                    HostReport.printFirstLook(agent, guests != null, System.out);
                    stopped.await();
                }
            }
            return 0;
        }
    }

    @Command(name = "doctor", description = "Show what this host offers the agent, what is missing, and how to "
            + "enable it. Exit code 0 when the agent can do useful work here.")
    static final class DoctorCommand implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            List<Finding> findings = Doctor.forThisHost(config.load()).examine();
            findings.forEach(f -> spec.commandLine().getOut().println(f.render()));
            return Doctor.usable(findings) ? 0 : EXIT_RUNTIME;
        }
    }

    @Command(name = "check-config", description = "Check a config file and the rule files it names: one line, OK "
            + "with the main settings, or the file, line and key that is wrong.")
    static final class CheckConfig implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            AgentConfig cfg = config.load();
            if (cfg.metrics().webConfig() != null) {
                Path web = cfg.metrics().webConfig();
                WebConfig.load(web).sslContext(web); // the certificates too: a run would refuse them at start
            }
            // The rules too: a rule file with a mistake would otherwise be found only by the running agent's reload.
            int rules = RulePack.load(cfg.rules().files()).specs().size();
            spec.commandLine().getOut().printf("%s: OK (host %s, collector %s, metrics %s, state %s, %d rules)%n",
                    config.describe(), cfg.identity().host(), cfg.collector().address(), cfg.metrics().listen(),
                    cfg.state().dir(), rules);
            return 0;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = AgentMain.class.getPackage().getImplementationVersion();
            return new String[] {"hvwatch-agent " + (v != null ? v : "development build")};
        }
    }
}
