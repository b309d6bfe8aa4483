package dev.hvwatch.collector.output;

import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;

/** One journaled alert as an output's format wrote it, with what transports key or frame it by. */
public record Formatted(JournalEntry entry, Alert alert, byte[] bytes) {
}
