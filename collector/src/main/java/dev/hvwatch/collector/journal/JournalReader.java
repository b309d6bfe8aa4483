package dev.hvwatch.collector.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

/** Reads a journal from the start without changing it, also while a running collector appends to it. */
public final class JournalReader {
    private JournalReader() {
    }

    /** Hands every entry of the journal in {@code dir} to {@code each}, oldest first; none if there is no journal. */
    public static void forEach(Path dir, Consumer<JournalEntry> each) throws IOException {
        if (!holdsJournal(dir)) {
            return;
        }
        try (SingleChronicleQueue queue = AlertJournal.builder(dir).readOnly(true).build();
             JournalScanner scanner = new JournalScanner(queue, () -> 0, ConcurrentHashMap.newKeySet())) {
            for (JournalEntry entry = scanner.next(); entry != null; entry = scanner.next()) {
                each.accept(entry);
            }
        }
    }

    private static boolean holdsJournal(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".cq4"));
        }
    }
}
