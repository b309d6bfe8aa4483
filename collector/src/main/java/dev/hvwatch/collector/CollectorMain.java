package dev.hvwatch.collector;

import dev.hvwatch.collector.api.ApiServer;
import dev.hvwatch.collector.certs.CertsCommand;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.collector.config.ConfigLoader;
import dev.hvwatch.protocol.config.ConfigException;
import dev.hvwatch.collector.tls.ServerTls;
import dev.hvwatch.collector.journal.JournalReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code hvwatch-collector}: exit 0 when all is well, 1 on a runtime failure, 2 on bad usage or configuration. */
@Command(name = "hvwatch-collector", mixinStandardHelpOptions = true, version = "hvwatch-collector 0.1.0",
        description = "Receives alerts from hvwatch agents over mutual TLS and journals them; issues their "
                + "certificates.",
        subcommands = {CollectorMain.Run.class, CollectorMain.CheckConfig.class, CertsCommand.class,
            CollectorMain.JournalCommand.class})
public final class CollectorMain implements Runnable {
    static final int EXIT_OK = 0;
    static final int EXIT_RUNTIME_FAILURE = 1;
    static final int EXIT_BAD_CONFIG = 2;
    /** The installed launcher sets the variable to /etc/hvwatch/collector.yaml; from a build tree it is unset. */
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    static int execute(PrintWriter out, PrintWriter err, String... args) {
        return new CommandLine(new CollectorMain())
                .setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler(CollectorMain::failed)
                .execute(args);
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: run, check-config or certs");
    }

    private static int failed(Exception e, CommandLine command, CommandLine.ParseResult parsed) {
        PrintWriter err = command.getErr();
        err.println("hvwatch-collector: " + e.getMessage());
        if (e instanceof ConfigException) {
            return EXIT_BAD_CONFIG;
        }
        if (e.getMessage() == null) {
            e.printStackTrace(err);
        }
        return EXIT_RUNTIME_FAILURE;
    }

    /**
     * Loads the file and the TLS material and API tokens it names, so that a bad path or key counts as bad
     * configuration.
     */
    static CollectorConfig loadChecked(Path file) throws ConfigException {
        CollectorConfig config = ConfigLoader.load(file);
        requireExists(file, "tls.cert", config.tls().cert());
        requireExists(file, "tls.key", config.tls().key());
        requireExists(file, "tls.ca", config.tls().ca());
        if (config.tls().crl() != null) {
            requireExists(file, "tls.crl", config.tls().crl());
        }
        try {
            ServerTls.load(config.tls());
        } catch (Exception e) {
            throw new ConfigException(file + ": tls: " + e.getMessage(), e);
        }
        try {
            ApiServer.checkFiles(config.api());
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
        return config;
    }

    private static void requireExists(Path configFile, String key, Path file) throws ConfigException {
        if (!Files.exists(file)) {
            throw new ConfigException(configFile + ": " + key + ": " + file + " does not exist (create the "
                    + "certificates with hvwatch-collector certs; README, \"Certificates\")");
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Run the collector until stopped.")
    static final class Run implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Override
        public Integer call() throws Exception {
            Collector collector = new Collector(loadChecked(config.file));
            collector.start();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    collector.close();
                } catch (Exception e) {
                    System.err.println("hvwatch-collector: error while stopping: " + e);
                } finally {
                    stopped.countDown();
                }
            }, "collector-shutdown"));
            stopped.await();
            return EXIT_OK;
        }
    }

    @Command(name = "check-config", mixinStandardHelpOptions = true,
            description = "Check the configuration and the TLS files it names, then exit.")
    static final class CheckConfig implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws ConfigException {
            CollectorConfig checked = loadChecked(config.file);
            spec.commandLine().getOut().printf(
                    "%s: OK (listen %s:%d, journal %s, api %s://%s:%d, maxFrameBytes %d, idleTimeout %dms)%n",
                    config.file, checked.listen().getHostString(), checked.listen().getPort(), checked.journal().dir(),
                    checked.api().tls() == null ? "http" : "https", checked.api().listen().getHostString(),
                    checked.api().listen().getPort(), checked.maxFrameBytes(), checked.idleTimeout().toMillis());
            return EXIT_OK;
        }
    }

    @Command(name = "journal", mixinStandardHelpOptions = true,
            description = "Print the journal as JSON lines, oldest first; safe while the collector runs.")
    static final class JournalCommand implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            JournalReader.forEach(ConfigLoader.load(config.file).journal().dir(),
                    entry -> out.println(new String(entry.json(), StandardCharsets.UTF_8)));
            out.flush();
            return EXIT_OK;
        }
    }
}
