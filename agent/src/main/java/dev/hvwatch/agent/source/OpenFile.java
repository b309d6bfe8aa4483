package dev.hvwatch.agent.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A procfs, sysfs or cgroupfs file kept open and read whole from offset 0 each round: the kernel renders such a file
 * anew on every read from its start, so one {@code pread} replaces open, read and close, and no reader or decoder is
 * made per read. For the files the sampling path reads every round for as long as a VM or thread lives.
 */
public final class OpenFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;

    private OpenFile(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** @throws java.nio.file.NoSuchFileException when the file (or its process) is gone */
    public static OpenFile open(Path path) throws IOException {
        return new OpenFile(path, FileChannel.open(path));
    }

    public Path path() {
        return path;
    }

    /**
     * Reads the file from its start into {@code into} (cleared first; a file that fills it is an error: these are
     * one-screen kernel files) and returns the length read. A process or thread that ended since the file was opened answers
     * ESRCH, an {@link IOException}.
     */
    public int read(ByteBuffer into) throws IOException {
        into.clear();
        int length = Math.max(channel.read(into, 0), 0);
        if (length == into.capacity()) {
            throw new IOException(path + ": longer than the " + into.capacity() + " bytes this file can have");
        }
        return length;
    }

    /**
     * The whole file as text, for the small files read by line: UTF-8, decoded leniently (bytes that are not UTF-8,
     * which a process or cgroup name may hold, become replacement characters rather than an error).
     */
    public String readText(ByteBuffer buffer) throws IOException {
        int length = read(buffer);
        return new String(buffer.array(), buffer.arrayOffset(), length, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // a read-only kernel file: nothing was buffered that closing could lose
        }
    }
}
