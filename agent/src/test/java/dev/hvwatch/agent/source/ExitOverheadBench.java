package dev.hvwatch.agent.source;

import dev.hvwatch.agent.metrics.AgentMetrics;
import dev.hvwatch.agent.metrics.VmMetrics;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.source.perf.PerfCounterSource;
import dev.hvwatch.agent.source.schedstat.SchedstatSource;
import dev.hvwatch.agent.source.tracepoint.ExitTracepointSource;
import dev.hvwatch.agent.source.tracepoint.Isa;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The agent's sampling path for {@code bench/exit-overhead.sh}, until the sources are wired into the agent: the
 * agent's sources, sampler, ring and metrics consumer, sampling every second until the process is killed.
 * {@code base} runs what the agent runs today (discovery, schedstat); {@code full} adds the tracepoint and perf
 * sources. The proc root lets the benchmark show the agent only its own guest, whatever else runs on the host.
 */
public final class ExitOverheadBench {
    private ExitOverheadBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !(args[0].equals("base") || args[0].equals("full"))) {
            System.err.println("usage: ExitOverheadBench base|full PROC_ROOT");
            System.exit(2);
        }
        Path proc = Path.of(args[1]);
        AgentMetrics metrics = new AgentMetrics();
        EventRing ring = new EventRing(4096, new VmMetrics(metrics.registry()));
        DiscoverySource discovery = new DiscoverySource(new ProcDiscovery(proc), ring);
        Sampler sampler = new Sampler(Duration.ofSeconds(1), ring).add(discovery)
                .add(new SchedstatSource(proc, discovery, ring));
        if (args[0].equals("full")) {
            sampler.add(new ExitTracepointSource(Path.of("/sys/kernel/tracing"), Isa.detect(Path.of("/sys/module")),
                    discovery, ring)).add(new PerfCounterSource(discovery, ring));
        }
        sampler.round();
        sampler.start();
        new CountDownLatch(1).await();
    }
}
