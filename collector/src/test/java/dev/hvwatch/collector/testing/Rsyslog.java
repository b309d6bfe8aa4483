package dev.hvwatch.collector.testing;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.hvwatch.protocol.tls.TlsFiles;
import dev.hvwatch.testkit.FreePort;
import dev.hvwatch.testkit.HostTool;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/**
 * A real rsyslogd (Debian's rsyslog with rsyslog-openssl) started by a test as a receiver on 127.0.0.1: TLS with
 * mutual certificates (RFC 5425), plain TCP and UDP. It writes each message it receives as one line of tab-separated
 * fields that only rsyslog's RFC 5424 parser fills in ({@link #FIELDS}), followed by the structured data as
 * mmpstrucdata parsed it, as JSON. Missing rsyslog skips the test, except on CI, where it fails.
 */
public final class Rsyslog implements AutoCloseable {
    /** The fields of each received line, in order; the last two are the parsed SD (JSON) and MSG. */
    public static final List<String> FIELDS = List.of("inputname", "protocol-version", "pri", "timereported",
            "hostname", "app-name", "procid", "msgid", "structured-data", "parsed-sd", "msg");
    private static final Path RSYSLOGD = Path.of("/usr/sbin/rsyslogd");
    private static final Path OPENSSL_DRIVER = Path.of("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so");

    private final Path dir;
    private final Path config;
    public final int tlsPort;
    public final int tcpPort;
    public final int udpPort;
    private Process process;

    /** @param server rsyslog's certificate and key, and the CA that must have signed the client's certificate */
    public Rsyslog(Path dir, TlsFiles server) throws IOException, InterruptedException {
        this(dir, server, "on", "64k");
    }

    /**
     * A receiver that writes control characters as they came (rsyslog's default escapes them on reception, which
     * would hide what a sender let through) and takes messages up to rsyslog's default size, 8 KiB.
     */
    public static Rsyslog raw(Path dir, TlsFiles server) throws IOException, InterruptedException {
        return new Rsyslog(dir, server, "off", "8k");
    }

    private Rsyslog(Path dir, TlsFiles server, String escapeControlCharacters, String maxMessageSize)
            throws IOException, InterruptedException {
        requireInstalled();
        this.dir = dir;
        Files.createDirectories(dir.resolve("work"));
        tlsPort = FreePort.find();
        tcpPort = FreePort.find();
        udpPort = FreePort.find();
        config = dir.resolve("rsyslog.conf");
        Files.writeString(config, """
                global(workDirectory="%1$s/work" maxMessageSize="%8$s"
                       parser.escapeControlCharactersOnReceive="%9$s"
                       defaultNetstreamDriverCAFile="%2$s" defaultNetstreamDriverCertFile="%3$s"
                       defaultNetstreamDriverKeyFile="%4$s")
                module(load="imtcp")
                module(load="imudp")
                module(load="mmpstrucdata")
                template(name="parsed" type="list") {
                  property(name="inputname") constant(value="\\t")
                  property(name="protocol-version") constant(value="\\t")
                  property(name="pri") constant(value="\\t")
                  property(name="timereported" dateFormat="rfc3339") constant(value="\\t")
                  property(name="hostname") constant(value="\\t")
                  property(name="app-name") constant(value="\\t")
                  property(name="procid") constant(value="\\t")
                  property(name="msgid") constant(value="\\t")
                  property(name="structured-data") constant(value="\\t")
                  property(name="$!rfc5424-sd") constant(value="\\t")
                  property(name="msg" droplastlf="on") constant(value="\\n")
                }
                ruleset(name="received") {
                  action(type="mmpstrucdata" sd_name.lowercase="off")
                  action(type="omfile" file="%1$s/received.log" template="parsed")
                }
                input(type="imtcp" name="tls" address="127.0.0.1" port="%5$d" ruleset="received"
                      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
                input(type="imtcp" name="tcp" address="127.0.0.1" port="%6$d" ruleset="received")
                input(type="imudp" name="udp" address="127.0.0.1" port="%7$d" ruleset="received")
                """.formatted(dir, server.ca(), server.cert(), server.key(), tlsPort, tcpPort, udpPort,
                        maxMessageSize, escapeControlCharacters));
        start();
    }

    /** Starts rsyslogd (again), and returns once it accepts connections. */
    public void start() throws IOException, InterruptedException {
        process = new ProcessBuilder(RSYSLOGD.toString(), "-n", "-f", config.toString(), "-i",
                dir.resolve("rsyslogd.pid").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("rsyslogd.out").toFile()))
                .start();
        try {
            await("rsyslogd accepting connections").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .failFast("rsyslogd exited", () -> !process.isAlive())
                    .until(() -> accepts(tlsPort) && accepts(tcpPort));
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            fail("rsyslogd did not start: " + log(), e);
        }
    }

    /** Stops rsyslogd (SIGTERM), which closes its connections and flushes what it received. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /** Every line written so far, each split into {@link #FIELDS}. */
    public List<String[]> received() throws IOException {
        Path log = dir.resolve("received.log");
        if (!Files.exists(log)) {
            return List.of();
        }
        return Files.readAllLines(log).stream().map(line -> line.split("\t", -1)).toList();
    }

    public String log() throws IOException {
        return Files.readString(dir.resolve("rsyslogd.out"));
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private static void requireInstalled() {
        HostTool.requireOnCi(Files.isExecutable(RSYSLOGD) && Files.exists(OPENSSL_DRIVER),
                "rsyslog with rsyslog-openssl is not installed");
    }

    private static boolean accepts(int port) {
        try (Socket probe = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

}
