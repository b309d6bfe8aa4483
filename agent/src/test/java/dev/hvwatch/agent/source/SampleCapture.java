package dev.hvwatch.agent.source;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.ring.TelemetryEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;

/** A ring consumer for source tests: keeps every SAMPLE, and answers "what did round T publish" once it arrived. */
public final class SampleCapture implements EventHandler<TelemetryEvent> {

    /** One published sample; {@code series} is the source's own object; {@code pid} -1 for a host-wide one. */
    public record Sample(long timeNanos, long pid, int vcpu, Series series, double value) {
        public boolean is(String name, Map<String, String> labels) {
            return series.name().equals(name) && series.labels().equals(labels);
        }
    }

    /** Published by {@link SourceRig#round} after the sources, so that its arrival means the round has arrived. */
    static final Notice END_OF_ROUND = new Notice("test.end_of_round", null, Map.of(), "end of a test round");

    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private volatile long lastRound = Long.MIN_VALUE;

    @Override
    public void onEvent(TelemetryEvent e, long sequence, boolean endOfBatch) {
        if (e.kind() == EventKind.SAMPLE) {
            samples.add(new Sample(e.timeNanos(), e.vm() == null ? -1 : e.vm().pid(), e.vcpu(), e.series(),
                    e.value()));
        } else if (e.kind() == EventKind.NOTICE && e.notice() == END_OF_ROUND) {
            lastRound = e.timeNanos();
        }
    }

    public List<Sample> all() {
        return List.copyOf(samples);
    }

    /** Waits until every event of the round at {@code timeNanos} has arrived: the ring delivers in order. */
    public void awaitRound(long timeNanos) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> lastRound >= timeNanos);
    }

    /** The value published in round {@code timeNanos} for the series, if any (waits for the round first). */
    public Optional<Double> value(long timeNanos, long pid, int vcpu, String name, Map<String, String> labels) {
        awaitRound(timeNanos);
        return samples.stream()
                .filter(s -> s.timeNanos() == timeNanos && s.pid() == pid && s.vcpu() == vcpu && s.is(name, labels))
                .map(Sample::value).findFirst();
    }

    /** Samples for a VM published at or after {@code timeNanos}. */
    public List<Sample> ofVmSince(long pid, long timeNanos) {
        return samples.stream().filter(s -> s.pid() == pid && s.timeNanos() >= timeNanos).toList();
    }
}
