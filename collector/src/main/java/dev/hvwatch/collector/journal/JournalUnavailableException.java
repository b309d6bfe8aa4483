package dev.hvwatch.collector.journal;

/** The journal cannot take or give alerts now (not open, its disk full, a write faulted); the message says why. */
public final class JournalUnavailableException extends RuntimeException {
    public JournalUnavailableException(String reason) {
        super(reason);
    }
}
