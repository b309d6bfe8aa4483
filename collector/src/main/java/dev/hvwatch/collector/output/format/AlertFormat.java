package dev.hvwatch.collector.output.format;

import dev.hvwatch.collector.config.OutputConfig;
import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;

/**
 * How an output writes one alert, independent of where it goes. A format is a pure function of the alert: the same
 * alert always gives the same bytes, which is how a file output recognises what it wrote before a crash. Every format
 * carries the alert's (agent, seq), by which receivers deduplicate.
 */
public interface AlertFormat {

    /** One alert, without a line terminator; never contains a raw newline. */
    byte[] format(JournalEntry entry, Alert alert);

    static AlertFormat of(OutputConfig output) {
        return switch (output.format()) {
            case JSON -> new CanonicalJson();
            case OCSF -> new OcsfDetectionFinding();
            case CEF -> new Cef();
            case RFC5424 -> new Rfc5424Message(output.rfc5424(), switch (output.rfc5424().message()) {
                case TEXT -> null;
                case JSON -> new CanonicalJson();
                case OCSF -> new OcsfDetectionFinding();
                case CEF -> new Cef();
            });
        };
    }
}
