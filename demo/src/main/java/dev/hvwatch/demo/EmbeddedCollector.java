package dev.hvwatch.demo;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.collector.Collector;
import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * A real collector inside the demo's process, beside the agent: a throw-away CA issues the
 * collector's and this agent's certificates, the collector listens on a free loopback port, and every alert it
 * journals is printed. The agent still talks to it over mutually authenticated TLS, as in production.
 */
public final class EmbeddedCollector implements AutoCloseable {
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

    private static String describe(Alert a) {
        return "[collector] " + a.time() + " " + a.severity().wireName() + " " + a.state().wireName() + " "
                + a.rule() + " seq=" + a.seq() + ": " + a.message();
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
