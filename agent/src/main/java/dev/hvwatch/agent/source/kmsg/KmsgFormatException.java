package dev.hvwatch.agent.source.kmsg;

/** A /dev/kmsg record that does not follow the documented layout; the message quotes the record. */
public final class KmsgFormatException extends Exception {
    public KmsgFormatException(String message) {
        super(message);
    }
}
