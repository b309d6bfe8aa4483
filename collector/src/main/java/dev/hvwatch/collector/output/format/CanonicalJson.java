package dev.hvwatch.collector.output.format;

import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;

/**
 * The canonical alert (protocol {@link Alert}; specified by {@code alert.schema.json} in hvwatch-protocol, described
 * in docs/alert-schema.md), as the agent sent and the journal holds it: byte for byte, except that
 * hazardous characters the agent's writer left raw (DEL, C1, separators, bidirectional controls) are escaped as
 * {@code \}{@code uXXXX}, which leaves the JSON's meaning as it was ({@link SafeText#escapeJson}).
 */
public final class CanonicalJson implements AlertFormat {
    @Override
    public byte[] format(JournalEntry entry, Alert alert) {
        return SafeText.escapeJson(entry.json());
    }
}
