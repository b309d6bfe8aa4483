package dev.hvwatch.collector.journal;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import java.nio.charset.StandardCharsets;

/**
 * One journaled alert as it is stored: its index (its position in the journal, which only grows), the agent (its
 * certificate identity) and seq that deduplication goes by, and the canonical JSON, so that an output can copy the
 * alert without parsing it.
 */
public record JournalEntry(long index, String agent, long seq, byte[] json) {

    public Alert alert() {
        return AlertJson.parse(new String(json, StandardCharsets.UTF_8));
    }
}
