package dev.hvwatch.agent.source.schedstat;

import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-vCPU scheduler run and wait time from {@code PROC/PID/task/TID/schedstat}, with the thread's state from
 * {@code .../stat}, for every vCPU thread discovery knows. A malformed file is counted and logged once per thread;
 * it never stops the round.
 */
public final class SchedstatSource implements Source {
    private static final Logger LOG = LoggerFactory.getLogger(SchedstatSource.class);

    private final Path procRoot;
    private final DiscoverySource discovery;
    private final Batch batch;
    /** Large enough for a whole task stat line (52 fields) as well as a schedstat line. */
    private final byte[] buffer = new byte[1024];
    private final Schedstat reading = new Schedstat();
    private final LongAdder parseErrors = new LongAdder();
    private long lastLoggedErrorTid = -1;

    public SchedstatSource(Path procRoot, DiscoverySource discovery, EventRing ring) {
        this.procRoot = procRoot;
        this.discovery = discovery;
        this.batch = ring.batch();
    }

    @Override
    public String name() {
        return "schedstat";
    }

    @Override
    public void sample(long nowNanos) throws IOException {
        try {
            sampleVcpus(nowNanos);
        } finally {
            batch.flush();
        }
    }

    private void sampleVcpus(long nowNanos) throws IOException {
        for (WatchedVm w : discovery.watched()) {
            for (Map.Entry<Integer, Long> vcpu : w.vcpuThreads().entrySet()) {
                long tid = vcpu.getValue();
                Path file = procRoot.resolve(Long.toString(w.vm().pid())).resolve("task").resolve(Long.toString(tid))
                        .resolve("schedstat");
                int length;
                boolean runnable;
                try {
                    runnable = isRunnable(file.resolveSibling("stat"));
                    length = read(file);
                } catch (NoSuchFileException e) {
                    continue; // the thread or VM ended after discovery looked; the next round notices
                }
                try {
                    reading.parse(buffer, length, file.toString());
                } catch (SchedstatFormatException e) {
                    parseErrors.increment();
                    if (tid != lastLoggedErrorTid) {
                        LOG.warn("{}", e.getMessage());
                        lastLoggedErrorTid = tid;
                    }
                    continue;
                }
                batch.schedstat(nowNanos, w.vm(), vcpu.getKey(), tid, reading.runNanos(), reading.waitNanos(),
                        reading.timeslices(), runnable);
            }
        }
    }

    private int read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(buffer, 0, buffer.length);
        }
    }

    /**
     * The state letter of {@code task/TID/stat}, the first field after the parenthesised command name (which may
     * itself contain ')'): R is running or waiting for a CPU.
     */
    private boolean isRunnable(Path stat) throws IOException {
        int length = read(stat);
        for (int i = length - 1; i >= 0; i--) {
            if (buffer[i] == ')') {
                return i + 2 < length && buffer[i + 2] == 'R';
            }
        }
        return false;
    }

    /** Files that could not be parsed, since start. */
    public long parseErrors() {
        return parseErrors.sum();
    }
}
