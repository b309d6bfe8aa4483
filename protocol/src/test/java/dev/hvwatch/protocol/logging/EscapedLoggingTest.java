package dev.hvwatch.protocol.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The shipped log set-up ({@link LogSetup}) as the agent and the collector load it. */
class EscapedLoggingTest {
    private static final Logger LOG = LoggerFactory.getLogger(EscapedLoggingTest.class);
    private static final String HOSTILE =
            "web\r\n[main] ERROR dev.hvwatch.agent.Agent - forged\u001b[2J\u0085\u2028x\\n";

    @Test
    void aVmNameWithLineBreaksAndEscapesIsOneEscapedLine() {
        String out = capture(() -> LOG.info("VM found: {} (pid {})", HOSTILE, 42));
        assertThat(out).endsWith("\n");
        assertThat(out.lines()).hasSize(1);
        assertThat(out).isEqualTo("[main] INFO " + EscapedLoggingTest.class.getName() + " - VM found: web\\r\\n"
                + "[main] ERROR dev.hvwatch.agent.Agent - forged\\e[2J\\x85\\u2028x\\\\n (pid 42)\n");
    }

    @Test
    void exceptionMessagesAreEscapedWhileTheTraceKeepsOneLinePerFrame() {
        IOException e = new IOException("peer said \n[main] INFO forged",
                new IllegalStateException("cause\r\nforged too"));
        String out = capture(() -> LOG.warn("connection {} lost", HOSTILE, e));
        assertThat(out.lines().filter(l -> !l.startsWith("\tat ") && !l.startsWith("\t... ")))
                .containsExactly("[main] WARN " + EscapedLoggingTest.class.getName() + " - connection web\\r\\n"
                                + "[main] ERROR dev.hvwatch.agent.Agent - forged\\e[2J\\x85\\u2028x\\\\n lost",
                        "java.io.IOException: peer said \\n[main] INFO forged",
                        "Caused by: java.lang.IllegalStateException: cause\\r\\nforged too");
    }

    @Test
    void textWithoutControlCharactersIsUnchanged() {
        String plain = "VM web-01 (uuid 2b1e, pid 7) → ünïcödé";
        assertThat(ControlCharacters.escape(plain)).isSameAs(plain);
    }

    private static String capture(Runnable logging) {
        PrintStream err = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            Thread t = new Thread(logging, "main");
            t.start();
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            System.setErr(err);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
