package dev.hvwatch.agent.source.tracepoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** The tracefs files of one tracepoint system: {@code ROOT/events/SYSTEM/EVENT/{id,format}}. */
final class Tracefs {
    private final Path root;
    private final String system;

    /** @param root where tracefs is mounted, normally {@code /sys/kernel/tracing} */
    Tracefs(Path root, String system) {
        this.root = root;
        this.system = system;
    }

    /** @throws IOException saying what to do when tracefs is not mounted or the system has no events */
    void requireSystem() throws IOException {
        requireMounted();
        if (!Files.isDirectory(root.resolve("events").resolve(system))) {
            throw new IOException(root.resolve("events").resolve(system) + " does not exist: no " + system
                    + " tracepoints in this kernel (is the " + system + " module loaded?)");
        }
    }

    /** @throws IOException saying what to do when tracefs is not mounted, or not readable by the agent */
    void requireMounted() throws IOException {
        if (Files.isDirectory(root) && !canList(root)) {
            throw new IOException("cannot read tracefs at " + root + " (mode 0700): the agent needs "
                    + "CAP_DAC_READ_SEARCH, or root");
        }
        if (!Files.isDirectory(root.resolve("events"))) {
            throw new IOException("tracefs is not mounted at " + root + ": mount it with 'mount -t tracefs nodev "
                    + root + "' and restart the agent");
        }
    }

    /**
     * Whether this process may list the directory. Not {@link Files#isReadable}: access(2) judges by the real user and
     * leaves out capabilities, so it says no to an agent that runs as its own user with CAP_DAC_READ_SEARCH.
     */
    static boolean canList(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return entries != null;
        } catch (IOException e) {
            return false;
        }
    }

    boolean has(String event) {
        return Files.isRegularFile(file(event, "id"));
    }

    /** The event's id, the {@code config} of a {@code PERF_TYPE_TRACEPOINT} event. */
    long id(String event) throws IOException {
        Path file = file(event, "id");
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        try {
            long id = Long.parseLong(text);
            if (id < 0) {
                throw new NumberFormatException();
            }
            return id;
        } catch (NumberFormatException e) {
            throw new TracepointFormatException(file + ": expected a decimal event id, got '"
                    + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "'");
        }
    }

    TracepointFormat format(String event) throws IOException {
        Path file = file(event, "format");
        return TracepointFormat.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    String describe(String event) {
        return system + ":" + event;
    }

    Path file(String event, String name) {
        return root.resolve("events").resolve(system).resolve(event).resolve(name);
    }
}
