package dev.hvwatch.collector.output.format;

import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;

/**
 * The canonical alert (specified by {@code alert.schema.json} in hvwatch-protocol, described in docs/alert-schema.md),
 * byte for byte as the agent sent and the journal holds it.
 */
public final class CanonicalJson implements AlertFormat {
    @Override
    public byte[] format(JournalEntry entry, Alert alert) {
        return entry.json();
    }
}
