package dev.hvwatch.agent.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.hvwatch.agent.ship.ShipperSettings;
import dev.hvwatch.agent.spool.SpoolLimits;
import dev.hvwatch.protocol.config.Durations;
import dev.hvwatch.protocol.config.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's configuration (YAML). Every key is optional; the defaults are those in the embedded
 * {@code hvwatch-agent.yaml} that ships with the agent and documents each key.
 */
public record AgentConfig(
        Identity identity,
        Sampling sampling,
        Ring ring,
        Rules rules,
        Metrics metrics,
        Collector collector,
        State state,
        KernelLog kmsg,
        Spool spool) {

    public AgentConfig {
        identity = identity != null ? identity : new Identity(null);
        sampling = sampling != null ? sampling : new Sampling(null, null);
        ring = ring != null ? ring : new Ring(null);
        rules = rules != null ? rules : new Rules(null);
        metrics = metrics != null ? metrics : new Metrics(null);
        collector = collector != null ? collector : new Collector(null, null, null, null, null, null);
        state = state != null ? state : new State(null);
        kmsg = kmsg != null ? kmsg : new KernelLog(null, null);
        spool = spool != null ? spool : new Spool(null, null);
    }

    public static AgentConfig defaults() {
        return new AgentConfig(null, null, null, null, null, null, null, null, null);
    }

    /** Where the agent keeps what must survive a restart: the alert spool, the kernel log cursor. */
    public record State(Path dir) {
        public State {
            dir = dir != null ? dir : Path.of("/var/lib/hvwatch");
        }
    }

    /** The kernel log source: IOMMU faults, KVM and machine-check errors from {@code /dev/kmsg}. */
    public record KernelLog(Boolean enabled, Path device) {
        public KernelLog {
            enabled = enabled != null ? enabled : Boolean.TRUE;
            device = device != null ? device : Path.of("/dev/kmsg");
        }
    }

    /** Who this agent is. The collector takes the identity from the agent's certificate; this name must match it. */
    public record Identity(String host) {
        public Identity {
            host = host != null ? host : HostName.local();
        }
    }

    public record Sampling(Duration interval, Path procRoot) {
        public Sampling {
            interval = interval != null ? interval : Duration.ofSeconds(1);
            procRoot = procRoot != null ? procRoot : Path.of("/proc");
            Check.positive("sampling.interval", interval);
        }
    }

    public record Ring(Integer size) {
        public Ring {
            size = size != null ? size : 65536;
            if (size < 2 || Integer.bitCount(size) != 1) {
                throw new IllegalArgumentException("ring.size must be a power of two, got " + size);
            }
        }
    }

    public record Rules(Starvation starvation) {
        public Rules {
            starvation = starvation != null ? starvation : new Starvation(null, null, null, null);
        }
    }

    /**
     * vCPU starvation: fires when a vCPU's wait share, wait / (run + wait) over one sampling interval, stays at or
     * above {@code fire} for {@code for}; resolves once it falls below {@code resolve} (hysteresis).
     */
    public record Starvation(
            Double fire,
            Double resolve,
            @JsonProperty("for") Duration holdFor,
            Double minActivity) {
        public Starvation {
            fire = fire != null ? fire : 0.30;
            resolve = resolve != null ? resolve : 0.15;
            holdFor = holdFor != null ? holdFor : Duration.ofSeconds(10);
            minActivity = minActivity != null ? minActivity : 0.05;
            Check.fraction("rules.starvation.fire", fire);
            Check.fraction("rules.starvation.resolve", resolve);
            Check.fraction("rules.starvation.minActivity", minActivity);
            if (resolve > fire) {
                throw new IllegalArgumentException("rules.starvation.resolve (" + resolve
                        + ") must not exceed rules.starvation.fire (" + fire + ")");
            }
        }
    }

    public record Metrics(String listen) {
        public Metrics {
            listen = listen != null ? listen : "127.0.0.1:9847";
            HostPort.parse("metrics.listen", listen);
        }
    }

    /**
     * Where alerts go: {@code address}, and when it fails each of {@code failover} in turn. {@code cert}, {@code key}
     * and {@code ca} are PEM files; the embedded collector of {@code run --embedded-collector} fills them in.
     */
    public record Collector(String address, List<String> failover, Path cert, Path key, Path ca, Integer batchSize) {
        public Collector {
            address = address != null ? address : "127.0.0.1:7847";
            failover = failover != null ? List.copyOf(failover) : List.of();
            batchSize = batchSize != null ? batchSize : ShipperSettings.DEFAULT_BATCH_SIZE;
            HostPort.parse("collector.address", address);
            for (int i = 0; i < failover.size(); i++) {
                HostPort.parse("collector.failover[" + i + "]", failover.get(i));
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("collector.batchSize must be at least 1, got " + batchSize);
            }
        }

        /** The address first, then the failover addresses. */
        public List<HostPort> addresses() {
            List<HostPort> all = new ArrayList<>();
            all.add(HostPort.parse("collector.address", address));
            failover.forEach(a -> all.add(HostPort.parse("collector.failover", a)));
            return all;
        }

        public Collector withEndpoint(String newAddress, Path newCert, Path newKey, Path newCa) {
            return new Collector(newAddress, List.of(), newCert, newKey, newCa, batchSize);
        }
    }

    /**
     * The alert spool in {@code state.dir}/spool: alerts a collector has not acknowledged, at most {@code maxAlerts}
     * and none older than {@code maxAge}; beyond either the oldest are dropped, counted and reported.
     */
    public record Spool(Long maxAlerts, Duration maxAge) {
        public Spool {
            maxAlerts = maxAlerts != null ? maxAlerts : 1_000_000L;
            maxAge = maxAge != null ? maxAge : Duration.ofDays(7);
            // Built once here so that values out of range are refused with the file's line and the key's name.
            new SpoolLimits(maxAlerts, maxAge);
        }

        public SpoolLimits limits() {
            return new SpoolLimits(maxAlerts, maxAge);
        }
    }

    public AgentConfig withCollector(Collector newCollector) {
        return new AgentConfig(identity, sampling, ring, rules, metrics, newCollector, state, kmsg, spool);
    }

    public AgentConfig withState(State newState) {
        return new AgentConfig(identity, sampling, ring, rules, metrics, collector, newState, kmsg, spool);
    }

    private static final class Check {
        private Check() {
        }

        static void positive(String key, Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(key + " must be positive, got " + Durations.format(d));
            }
        }

        static void fraction(String key, double v) {
            if (!(v >= 0 && v <= 1)) {
                throw new IllegalArgumentException(key + " must be between 0 and 1, got " + v);
            }
        }
    }
}
