package dev.hvwatch.agent.source.schedstat;

/** A schedstat file that does not hold "run_ns wait_ns timeslices"; the message names the file and the text. */
public final class SchedstatFormatException extends Exception {
    public SchedstatFormatException(String message) {
        super(message);
    }
}
