package dev.hvwatch.protocol.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What {@link LogSetup} sets up, and that it is what logback found as the agent and the collector start it. */
class LogSetupTest {
    @Test
    void logbackFoundIt() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();

        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).isNotNull();
        assertThat(context.getLogger("net.openhft").getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("net.openhft.affinity").getLevel()).isEqualTo(Level.ERROR);
        assertThat(context.getLogger("org.apache.kafka").getLevel()).isEqualTo(Level.WARN);
    }

    @Test
    void theLevelComesFromHvwatchLogLevel() {
        LoggerContext context = new LoggerContext();

        assertThat(configuredWith("hvwatch.log.level", "DEBUG", context))
                .isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.DEBUG);
        assertThat(configure(new LoggerContext())).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    }

    @Test
    void anOperatorsOwnConfigurationFileHandsOverToLogbacksXmlConfigurator() {
        LoggerContext context = new LoggerContext();

        assertThat(configuredWith("logback.configurationFile", "/etc/hvwatch/logback.xml", context))
                .isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).isNull();
    }

    private static ExecutionStatus configuredWith(String property, String value, LoggerContext context) {
        System.setProperty(property, value);
        try {
            return configure(context);
        } finally {
            System.clearProperty(property);
        }
    }

    private static ExecutionStatus configure(LoggerContext context) {
        LogSetup setup = new LogSetup();
        setup.setContext(context);
        return setup.configure(context);
    }
}
