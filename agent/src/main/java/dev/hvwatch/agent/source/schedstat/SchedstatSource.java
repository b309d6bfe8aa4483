package dev.hvwatch.agent.source.schedstat;

import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.source.OpenFile;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-vCPU scheduler run and wait time from {@code PROC/PID/task/TID/schedstat}, with the thread's state from
 * {@code .../stat}, for every vCPU thread discovery knows. A malformed file is counted and logged once per thread;
 * it never stops the round. Both files stay {@link OpenFile open} while the thread lives.
 */
public final class SchedstatSource implements Source, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SchedstatSource.class);

    private final Path procRoot;
    private final DiscoverySource discovery;
    private final Batch batch;
    /** Large enough for a whole task stat line (52 fields) as well as a schedstat line. */
    private final byte[] buffer = new byte[1024];
    private final ByteBuffer bytes = ByteBuffer.wrap(buffer);
    private final Map<Long, ThreadFiles> open = new HashMap<>();
    private long round;
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
        round++;
        for (WatchedVm w : discovery.watched()) {
            for (Map.Entry<Integer, Long> vcpu : w.vcpuThreads().entrySet()) {
                long tid = vcpu.getValue();
                ThreadFiles files = open.get(tid);
                int length;
                boolean runnable;
                try {
                    if (files == null) {
                        files = ThreadFiles.open(procRoot.resolve(Long.toString(w.vm().pid())).resolve("task")
                                .resolve(Long.toString(tid)));
                        open.put(tid, files);
                    }
                    files.round = round;
                    runnable = isRunnable(files.stat.read(bytes));
                    length = files.schedstat.read(bytes);
                } catch (NoSuchFileException e) {
                    continue; // the thread or VM ended after discovery looked; the next round notices
                } catch (IOException e) {
                    if (files != null && Files.exists(files.dir)) {
                        throw e;
                    }
                    continue; // a read of an ended thread's file fails with ESRCH: it is gone
                }
                try {
                    reading.parse(buffer, length, files.origin);
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
        open.values().removeIf(f -> {
            boolean gone = f.round != round;
            if (gone) {
                f.close();
            }
            return gone;
        });
    }

    /**
     * The state letter of {@code task/TID/stat}, the first field after the parenthesised command name (which may
     * itself contain ')'): R is running or waiting for a CPU.
     */
    private boolean isRunnable(int length) {
        for (int i = length - 1; i >= 0; i--) {
            if (buffer[i] == ')') {
                return i + 2 < length && buffer[i + 2] == 'R';
            }
        }
        return false;
    }

    @Override
    public void close() {
        open.values().forEach(ThreadFiles::close);
        open.clear();
    }

    /** A vCPU thread's two files, open; {@code round} is the last round that read them. */
    private static final class ThreadFiles {
        final Path dir;
        final String origin;
        final OpenFile stat;
        final OpenFile schedstat;
        long round;

        private ThreadFiles(Path dir, OpenFile stat, OpenFile schedstat) {
            this.dir = dir;
            this.origin = schedstat.path().toString();
            this.stat = stat;
            this.schedstat = schedstat;
        }

        static ThreadFiles open(Path dir) throws IOException {
            OpenFile stat = OpenFile.open(dir.resolve("stat"));
            try {
                return new ThreadFiles(dir, stat, OpenFile.open(dir.resolve("schedstat")));
            } catch (IOException e) {
                stat.close();
                throw e;
            }
        }

        void close() {
            stat.close();
            schedstat.close();
        }
    }

    /** Files that could not be parsed, since start. */
    public long errors() {
        return parseErrors.sum();
    }
}
