package dev.hvwatch.protocol.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The agent's and the collector's log set-up, found by logback as a service. Logback rather than slf4j-simple: its
 * pattern layout takes converters of our own, so one place escapes the control characters of every log line's
 * message, thread name and exception messages (a VM name with CR/LF/ESC stays one line), instead of every call site
 * escaping its arguments. Lines go to stderr, where systemd's journal takes them: {@code [thread] LEVEL logger -
 * message}. Level: {@code -Dhvwatch.log.level} (default INFO).
 * <p>
 * In code rather than a logback.xml: the XML configurator loads some 350 classes of its own, which stay in the
 * agent's memory for its whole life (BENCHMARKS.md, "Agent footprint"). An operator's own file still wins:
 * {@code -Dlogback.configurationFile=FILE} hands over to logback's XML configurator.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
    /** "{}" closes each composite: logback's parser takes a '%' right after ')' for a literal. */
    static final String PATTERN = "[%escape(%thread){}] %level %logger - %escape(%msg){}%n%escapedEx";

    /**
     * hvwatch's own messages at the chosen level; libraries only when something is wrong. At info, Chronicle Queue
     * (the agent's spool, the collector's journal) prints a banner asking to "leave your e-mail" on every start and a
     * line each time a queue file grows; Chronicle's thread affinity warns twice on every start that JNA, which
     * hvwatch leaves out on purpose (it pins no thread), is missing; Kafka's clients describe their configuration at
     * length, and the in-process Kafka broker of the collector's tests logs thousands of lines.
     */
    private static final Map<String, Level> QUIET_LIBRARIES = Map.of(
            "net.openhft", Level.WARN,
            "net.openhft.affinity", Level.ERROR,
            "org.apache.kafka", Level.WARN,
            "kafka", Level.WARN,
            "state.change.logger", Level.WARN);

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayout layout = new PatternLayout();
        layout.setContext(context);
        layout.getInstanceConverterMap().put("escape", EscapeConverter::new);
        layout.getInstanceConverterMap().put("escapedEx", EscapedThrowableConverter::new);
        layout.setPattern(PATTERN);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        QUIET_LIBRARIES.forEach((name, level) -> context.getLogger(name).setLevel(level));
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getProperty("hvwatch.log.level"), Level.INFO));
        root.addAppender(stderr);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
