package dev.hvwatch.agent.source.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.source.schedstat.SchedstatSource;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery and schedstat together on a fixture tree, through a real ring. */
class SchedstatSourceTest {
    @TempDir
    Path dir;

    private record Seen(EventKind kind, String vm, int vcpu, long runNanos, long waitNanos) {
    }

    @Test
    void publishesVmLifecycleAndPerVcpuTimesAndCountsMalformedFiles() throws Exception {
        FakeProc proc = new FakeProc(dir).process(100, 9000,
                new String[] {"qemu-system-x86_64", "-name", "guest=web", "-smp", "2"},
                new String[] {"/dev/kvm"}, 101, "CPU 0/KVM", 102, "CPU 1/KVM");
        proc.schedstat(100, 101, "5000000000 250000000 1234\n");
        proc.schedstat(100, 102, "garbage\n");
        List<Seen> seen = new CopyOnWriteArrayList<>();
        EventHandler<TelemetryEvent> capture = (e, seq, end) ->
                seen.add(new Seen(e.kind(), e.vm().name(), e.vcpu(), e.runNanos(), e.waitNanos()));

        try (EventRing ring = new EventRing(64, capture)) {
            DiscoverySource discovery = new DiscoverySource(new ProcDiscovery(dir), ring);
            SchedstatSource schedstat = new SchedstatSource(dir, discovery, ring);
            discovery.sample(1);
            schedstat.sample(1);
            proc.exit(100);
            discovery.sample(2);
            schedstat.sample(2);

            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> seen.size() == 4);
            assertThat(seen).containsExactly(
                    new Seen(EventKind.VM_STARTED, "web", -1, 0, 0),
                    new Seen(EventKind.NOTICE, "web", -1, 0, 0),
                    new Seen(EventKind.SCHEDSTAT, "web", 0, 5_000_000_000L, 250_000_000L),
                    new Seen(EventKind.VM_STOPPED, "web", -1, 0, 0));
            assertThat(schedstat.errors()).isEqualTo(1);
        }
    }
}
