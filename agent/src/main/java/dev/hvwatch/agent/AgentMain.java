package dev.hvwatch.agent;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.config.AgentConfigFile;
import dev.hvwatch.agent.doctor.Doctor;
import dev.hvwatch.agent.doctor.Finding;
import dev.hvwatch.agent.rules.RulePack;
import dev.hvwatch.agent.metrics.WebConfig;
import dev.hvwatch.protocol.config.ConfigException;
import java.io.IOException;
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
        return withExitCodes(new CommandLine(new AgentMain()), "hvwatch-agent");
    }

    /** The exit codes and one-line errors of {@code hvwatch-agent}, for a command line of the agent or beside it. */
    public static CommandLine withExitCodes(CommandLine commandLine, String program) {
        return commandLine
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExitCodeExceptionMapper(e -> e instanceof ConfigException || e instanceof ParameterException
                        ? EXIT_CONFIG : EXIT_RUNTIME)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println(program + ": " + (e instanceof ConfigException ? "" : "error: ")
                            + e.getMessage());
                    return cmd.getExitCodeExceptionMapper().getExitCode(e);
                });
    }

    /**
     * Runs an agent until the JVM is asked to stop (SIGTERM, Ctrl-C); {@code guestsComing} when the caller is
     * starting guests of its own (the demo), so that an empty host is not reported as one.
     */
    public static void runUntilStopped(ConfigOption config, AgentConfig cfg, boolean guestsComing)
            throws IOException, ConfigException, InterruptedException {
        AgentConfigFile.requireCollectorTls(config.file, cfg);
        CountDownLatch closed = new CountDownLatch(1);
        Agent agent = Agent.start(cfg);
        // The JVM halts as soon as its shutdown hooks have run, whatever its other threads are doing: the agent is
        // closed (the ring drained into the spool, the spool closed) in the hook, not after it on this thread.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                agent.close();
            } finally {
                closed.countDown();
            }
        }, "hvwatch-shutdown"));
        HostReport.printFirstLook(agent, guestsComing, System.out);
        closed.await();
    }

    @Command(name = "run", description = "Run the agent until stopped (SIGTERM or Ctrl-C).")
    static final class Run implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() throws Exception {
            runUntilStopped(config, config.load(), false);
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
