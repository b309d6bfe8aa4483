package dev.hvwatch.demo;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.logging.ControlCharacters;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * A real collector inside the demo's process, beside the agent: a throw-away CA issues the
 * collector's and this agent's certificates, the collector listens on a free loopback port, and every alert it
 * journals is printed. The agent still talks to it over mutually authenticated TLS, as in production.
 */
public final class EmbeddedCollector implements AutoCloseable {
    /** A VM's start message holds its whole command line: the line shows its beginning, the journal all of it. */
    private static final int MESSAGE_CHARS = 160;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());
    private final Collector collector;
    private final int port;
    private final TlsFiles agentTls;

    private EmbeddedCollector(Collector collector, int port, TlsFiles agentTls) {
        this.collector = collector;
        this.port = port;
        this.agentTls = agentTls;
    }

    public static EmbeddedCollector start(Path stateDir, String agentIdentity, PrintStream out)
            throws IOException, GeneralSecurityException {
        Pki pki = Pki.createCa(stateDir.resolve("pki"), "hvwatch embedded CA");
        TlsFiles server = pki.issueServer("collector");
        TlsFiles agent = pki.issueAgent(agentIdentity);
        Path journal = stateDir.resolve("journal");
        Path jsonLines = stateDir.resolve("alerts.jsonl");
        CollectorConfig config = CollectorConfig.of(new InetSocketAddress("127.0.0.1", 0), server, journal, jsonLines);
        Collector collector = new Collector(config, alert -> out.println(describe(alert)));
        int port = collector.start();
        out.println("hvwatch: embedded collector on 127.0.0.1:" + port + " (mutual TLS), journal " + journal
                + ", alerts also in " + jsonLines);
        return new EmbeddedCollector(collector, port, agent);
    }

    /**
     * One line per journaled alert: local time, severity (or "resolved"), rule, VM (or "host"), message. The
     * collector journals each alert once, however often the agent resent it. A guest names its VM and so writes
     * into the message: control characters are escaped, so that no name can forge a line or drive the terminal.
     */
    static String describe(Alert a) {
        String time = TIME.format(Instant.parse(a.time()));
        String severity = a.state() == AlertState.RESOLVED ? "resolved" : a.severity().wireName();
        String subject = a.vm() != null ? a.vm().name() : a.device() != null ? a.device() : "host";
        String message = a.message() == null ? "" : a.message();
        if (message.length() > MESSAGE_CHARS) {
            message = message.substring(0, MESSAGE_CHARS - 1) + "…";
        }
        return ControlCharacters.escape(String.format(Locale.ROOT, "%s  %-8s  %-27s  %-12s  %s", time, severity,
                a.rule(), subject, message));
    }

    /** The agent's collector settings pointed at this collector, with the agent's issued certificate. */
    public AgentConfig.Collector agentEndpoint(AgentConfig.Collector base) {
        return base.withEndpoint("127.0.0.1:" + port, agentTls.cert(), agentTls.key(), agentTls.ca());
    }

    @Override
    public void close() throws IOException {
        collector.close();
    }
}
