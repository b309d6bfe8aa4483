package dev.hvwatch.agent.source.qmp;

/** A failed QMP exchange; the message names the socket and what went wrong. */
final class QmpException extends Exception {
    private final QmpError reason;

    QmpException(QmpError reason, String message) {
        super(message);
        this.reason = reason;
    }

    QmpException(QmpError reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    QmpError reason() {
        return reason;
    }
}
