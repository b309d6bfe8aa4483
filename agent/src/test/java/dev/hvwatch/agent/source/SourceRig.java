package dev.hvwatch.agent.source;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.testkit.QemuGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What the agent runs around a source, for tests with real guests: real discovery of {@code /proc}, a real ring with
 * a {@link SampleCapture}, and rounds driven by the test. Sources see only the guests the test started: other
 * checkouts may run guests on the same host, and their counts must not change this test's.
 */
public final class SourceRig implements AutoCloseable {
    public final SampleCapture capture = new SampleCapture();
    public final EventRing ring;
    public final DiscoverySource discovery;
    private final Set<Long> pids = ConcurrentHashMap.newKeySet();

    /** @param consumer a second ring consumer besides the capture, such as the agent's metrics */
    public SourceRig(EventHandler<TelemetryEvent> consumer) {
        ring = new EventRing(4096, capture, consumer);
        discovery = new DiscoverySource(new ProcDiscovery(Path.of("/proc")), ring);
    }

    public SourceRig() {
        ring = new EventRing(4096, capture);
        discovery = new DiscoverySource(new ProcDiscovery(Path.of("/proc")), ring);
    }

    public void watch(QemuGuest guest) {
        pids.add(guest.pid());
    }

    /** Discovery's view, narrowed to this test's guests: what the sources under test are given. */
    public Collection<WatchedVm> watched() {
        return discovery.watched().stream().filter(w -> pids.contains(w.vm().pid())).toList();
    }

    /**
     * One sampling round: discovery, then the sources, like the agent's sampler.
     *
     * @return the round's time ({@link System#nanoTime()}), which its samples carry
     */
    public long round(Source... sources) throws Exception {
        return roundAt(System.nanoTime(), sources);
    }

    /** One sampling round at a time of the test's choosing, for sources that act on elapsed time. */
    public long roundAt(long now, Source... sources) throws Exception {
        discovery.sample(now);
        for (Source s : sources) {
            s.sample(now);
        }
        ring.publishNotice(now, null, SampleCapture.END_OF_ROUND);
        return now;
    }

    /** This process's descriptors that are perf events, as {@code ls -l /proc/self/fd} shows them. */
    public static long perfEventDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals("anon_inode:[perf_event]");
                } catch (IOException closedMeanwhile) {
                    return false;
                }
            }).count();
        }
    }

    @Override
    public void close() {
        ring.close();
    }
}
