package dev.hvwatch.agent.source.discovery;

import java.io.IOException;

/**
 * What the kernel reports of processes starting programs, ending and renaming threads, read once a round so that
 * discovery looks only at the processes named instead of listing {@code /proc} (see {@link ProcConnectorEvents}).
 */
public interface ProcessEvents extends AutoCloseable {

    /**
     * Adds what was reported since the last call to {@code batch}.
     *
     * @return false when reports were lost on the way (the kernel's queue overflowed): the batch is then incomplete
     *     and discovery must list {@code /proc} in full
     */
    boolean readInto(ProcessEventBatch batch) throws IOException;

    /** Times reports were lost, since the start. */
    long overflows();

    @Override
    void close();
}
