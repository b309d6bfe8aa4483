package dev.hvwatch.collector.ingest;

import dev.hvwatch.protocol.wire.RefusalReason;

/** A connection the collector will not serve further, for a reason it tells the agent before closing. */
final class Refusal extends RuntimeException {
    private final RefusalReason reason;

    Refusal(RefusalReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    RefusalReason reason() {
        return reason;
    }
}
