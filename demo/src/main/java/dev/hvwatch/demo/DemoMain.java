package dev.hvwatch.demo;

import dev.hvwatch.agent.AgentMain;
import dev.hvwatch.agent.ConfigOption;
import dev.hvwatch.agent.config.AgentConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./hvwatch demo}: hvwatch on one machine. The agent runs with a real collector in the same process
 * (throw-away certificates, mutual TLS as in production) that prints the alerts it journals, one line each, and
 * three real QEMU/KVM test guests (see {@link DemoGuests}), so that starvation and port-I/O alerts fire. It lives beside the agent,
 * not in it, so that the agent's runtime holds neither the collector nor the test kit.
 */
@Command(name = "hvwatch demo", mixinStandardHelpOptions = true, versionProvider = DemoMain.Version.class,
        description = "Runs the agent with an in-process collector and three real QEMU/KVM test guests, and prints "
                + "the alerts the collector receives. Stop it with Ctrl-C.")
public final class DemoMain implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--no-guests", description = "Start no test guests: watch this host's own guests, with the "
            + "in-process collector.")
    boolean noGuests;

    @Option(names = "--state-dir", description = "Where the collector keeps its certificates and journal, and the "
            + "agent its spool (default: a new temporary directory).")
    Path stateDir;

    public static void main(String[] args) {
        // The demo prints each alert once as the collector journals it; the agent's own log of the same alerts and of
        // every source coming up would bury them. Warnings and errors still show; -Dhvwatch.log.level overrides.
        System.setProperty("hvwatch.log.level", System.getProperty("hvwatch.log.level", "WARN"));
        System.exit(AgentMain.withExitCodes(new CommandLine(new DemoMain()), "hvwatch demo").execute(args));
    }

    @Override
    public Integer call() throws Exception {
        AgentConfig cfg = config.load();
        DemoTracefs.prepare(cfg.tracing().root(), DemoTracefs.isRoot()).ifPresent(System.out::println);
        Path trialDir = stateDir != null ? stateDir : Files.createTempDirectory("hvwatch-");
        try (EmbeddedCollector collector = EmbeddedCollector.start(trialDir, cfg.identity().host(), System.out);
             DemoGuests guests = noGuests ? null : DemoGuests.start(System.out)) {
            // The demo keeps all its state (spool, kernel-log cursor) beside its collector's, not in the host's
            // state directory, where a real agent's spool would be.
            cfg = cfg.withCollector(collector.agentEndpoint(cfg.collector()))
                    .withState(new AgentConfig.State(trialDir.resolve("agent")));
            System.out.println("hvwatch: in a second terminal, ./hvwatch agent top shows each VM's exits, steal and "
                    + "CPU live; alerts follow here as: time  severity  rule  VM  message");
            AgentMain.runUntilStopped(config, cfg, guests != null);
        }
        return 0;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = DemoMain.class.getPackage().getImplementationVersion();
            return new String[] {"hvwatch demo " + (v != null ? v : "development build")};
        }
    }
}
