package dev.hvwatch.agent.config;

import dev.hvwatch.protocol.config.Durations;
import dev.hvwatch.protocol.config.HostPort;
import java.nio.file.Path;
import java.time.Duration;
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
        Qmp qmp,
        Debugfs debugfs,
        Tracing tracing) {

    public AgentConfig {
        identity = identity != null ? identity : new Identity(null);
        sampling = sampling != null ? sampling : new Sampling(null, null);
        ring = ring != null ? ring : new Ring(null);
        rules = rules != null ? rules : new Rules(null);
        metrics = metrics != null ? metrics : new Metrics(null);
        collector = collector != null ? collector : new Collector(null, null, null, null, null);
        state = state != null ? state : new State(null);
        kmsg = kmsg != null ? kmsg : new KernelLog(null, null);
        qmp = qmp != null ? qmp : new Qmp(null, null);
        debugfs = debugfs != null ? debugfs : new Debugfs(null);
        tracing = tracing != null ? tracing : new Tracing(null, null);
    }

    public static AgentConfig defaults() {
        return new AgentConfig(null, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * KVM statistics through QEMU's monitor. Sockets come from each QEMU command line ({@code -qmp unix:…}); list
     * more here (they are matched to their VM by the process holding them). hvwatch keeps the monitor it uses, so
     * give it a {@code -qmp} socket of its own.
     */
    public record Qmp(List<Path> sockets, Duration timeout) {
        public Qmp {
            sockets = sockets == null ? List.of() : List.copyOf(sockets);
            timeout = timeout != null ? timeout : Duration.ofSeconds(2);
            Check.positive("qmp.timeout", timeout);
        }
    }

    /**
     * VM exits per reason from the kvm tracepoints, counted by the kernel per vCPU thread ({@code root} is tracefs;
     * {@code modules} tells whether KVM runs on VMX or SVM, whose exit-reason tables differ).
     */
    public record Tracing(Path root, Path modules) {
        public Tracing {
            root = root != null ? root : Path.of("/sys/kernel/tracing");
            modules = modules != null ? modules : Path.of("/sys/module");
        }
    }

    /** KVM statistics from debugfs, for VMs QMP does not feed (unreadable under kernel lockdown). */
    public record Debugfs(Path root) {
        public Debugfs {
            root = root != null ? root : Path.of("/sys/kernel/debug/kvm");
        }
    }

    /** Where the agent keeps what must survive a restart (the kernel log cursor). */
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

    /**
     * Rules: the default pack shipped with the agent, then these files (or every *.yaml in these directories, in
     * name order); a rule with the id of an earlier one replaces it. Reloaded on SIGHUP and when a file changes.
     */
    public record Rules(List<Path> files) {
        public Rules {
            files = files == null ? List.of() : List.copyOf(files);
        }
    }

    public record Metrics(String listen) {
        public Metrics {
            listen = listen != null ? listen : "127.0.0.1:9847";
            HostPort.parse("metrics.listen", listen);
        }
    }

    /** Where alerts go. {@code tls.*} are PEM files; the embedded collector of {@code run --embedded-collector} fills them in. */
    public record Collector(String address, Path cert, Path key, Path ca, Integer outboxCapacity) {
        public Collector {
            address = address != null ? address : "127.0.0.1:7847";
            outboxCapacity = outboxCapacity != null ? outboxCapacity : 10_000;
            HostPort.parse("collector.address", address);
            if (outboxCapacity < 1) {
                throw new IllegalArgumentException("collector.outboxCapacity must be at least 1, got " + outboxCapacity);
            }
        }

        public Collector withEndpoint(String newAddress, Path newCert, Path newKey, Path newCa) {
            return new Collector(newAddress, newCert, newKey, newCa, outboxCapacity);
        }
    }

    public AgentConfig withCollector(Collector newCollector) {
        return new AgentConfig(identity, sampling, ring, rules, metrics, newCollector, state, kmsg, qmp, debugfs, tracing);
    }

    public AgentConfig withState(State newState) {
        return new AgentConfig(identity, sampling, ring, rules, metrics, collector, newState, kmsg, qmp, debugfs, tracing);
    }

    private static final class Check {
        private Check() {
        }

        static void positive(String key, Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(key + " must be positive, got " + Durations.format(d));
            }
        }
    }
}
