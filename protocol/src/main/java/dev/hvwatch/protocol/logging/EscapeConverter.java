package dev.hvwatch.protocol.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.pattern.CompositeConverter;

/**
 * {@code %escape(…)} in a logback pattern: the enclosed text with its control characters escaped
 * ({@link ControlCharacters}). Applied to the whole message and to the thread name, so that every log line of the
 * agent and the collector is one line whatever a guest named its VM or devices, without each call site having to
 * remember to escape its arguments.
 */
public final class EscapeConverter extends CompositeConverter<ILoggingEvent> {
    @Override
    protected String transform(ILoggingEvent event, String in) {
        return ControlCharacters.escape(in);
    }
}
