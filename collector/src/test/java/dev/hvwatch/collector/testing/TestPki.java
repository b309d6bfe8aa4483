package dev.hvwatch.collector.testing;

import dev.hvwatch.collector.config.CollectorConfig;
import dev.hvwatch.protocol.tls.Pki;
import dev.hvwatch.protocol.tls.TlsFiles;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/** A CA, a collector certificate and collector configurations, made fresh in a test's temporary directory. */
public final class TestPki {
    public static final String CA_NAME = "hvwatch test CA";

    private final Pki pki;
    private final TlsFiles collector;

    public TestPki(Path dir) throws Exception {
        pki = Pki.createCa(dir, CA_NAME);
        collector = pki.issueServer("collector");
    }

    public Pki pki() {
        return pki;
    }

    /** The collector's certificate, key and CA bundle. */
    public TlsFiles collectorFiles() {
        return collector;
    }

    public TlsFiles agent(String identity) throws Exception {
        return pki.issueAgent(identity);
    }

    /** A collector on a free loopback port, its metrics on another. */
    public CollectorConfig collectorConfig(Path journalDir, Integer maxFrameBytes, Duration idleTimeout) {
        CollectorConfig base = CollectorConfig.of(InetSocketAddress.createUnresolved("127.0.0.1", 0), collector,
                journalDir, null);
        return new CollectorConfig(base.listen(), base.tls(), base.journal(), base.outputs(), base.api(),
                maxFrameBytes, idleTimeout, null, null, null);
    }

    public CollectorConfig collectorConfig(Path journalDir) {
        return collectorConfig(journalDir, null, null);
    }
}
