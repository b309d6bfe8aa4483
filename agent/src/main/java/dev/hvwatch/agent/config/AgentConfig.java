package dev.hvwatch.agent.config;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.ship.ShipperSettings;
import dev.hvwatch.agent.spool.SpoolLimits;
import dev.hvwatch.protocol.config.Durations;
import dev.hvwatch.protocol.config.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
        Tracing tracing,
        Posture posture,
        Spool spool,
        Libvirt libvirt,
        Attribution attribution) {

    public AgentConfig {
        identity = identity != null ? identity : new Identity(null);
        sampling = sampling != null ? sampling : new Sampling(null, null);
        ring = ring != null ? ring : new Ring(null);
        rules = rules != null ? rules : new Rules(null, null);
        metrics = metrics != null ? metrics : new Metrics(null);
        collector = collector != null ? collector : new Collector(null, null, null, null, null, null);
        state = state != null ? state : new State(null);
        kmsg = kmsg != null ? kmsg : new KernelLog(null, null);
        qmp = qmp != null ? qmp : new Qmp(null, null);
        debugfs = debugfs != null ? debugfs : new Debugfs(null);
        tracing = tracing != null ? tracing : new Tracing(null, null);
        posture = posture != null ? posture : new Posture(null, null, null, null, null, null, null, null, null, null);
        spool = spool != null ? spool : new Spool(null, null);
        libvirt = libvirt != null ? libvirt : new Libvirt(null, null);
        attribution = attribution != null ? attribution : new Attribution(null, null, null);
    }

    public static AgentConfig defaults() {
        return new AgentConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null);
    }

    /**
     * Who took the CPU a starved vCPU waited for: while a rule's {@code attribute_when} holds, a census of the host's
     * CPU time every {@code interval}; the alert names the VMs and host processes that ran on the victim's CPUs.
     *
     * @param interferenceFloor the share of a VM's wait in one census interval that another VM must cause for the
     *                          pair to get a {@code hvwatch_vm_cpu_interference_seconds_total} series: at most
     *                          1/floor series per VM
     */
    public record Attribution(Boolean enabled, Duration interval, Double interferenceFloor) {
        public Attribution {
            enabled = enabled == null || enabled;
            interval = interval != null ? interval : Duration.ofSeconds(5);
            interferenceFloor = interferenceFloor != null ? interferenceFloor : 0.1;
            Check.positive("attribution.interval", interval);
            if (!(interferenceFloor > 0 && interferenceFloor <= 1)) {
                throw new IllegalArgumentException("attribution.interferenceFloor must be a share above 0 and at most "
                        + "1, got " + interferenceFloor);
            }
        }
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
     * libvirt's VMs through libvirt (read-only): their KVM statistics, disks, interfaces and balloon, their domain
     * events, and their tenants (OpenStack Nova's metadata).
     *
     * @param enabled {@code auto} (where libvirt's library is installed), {@code true} (a missing library makes the
     *                source down, with the reason), or {@code false}
     * @param uri     the connection URI
     */
    public record Libvirt(String enabled, String uri) {
        public Libvirt {
            enabled = enabled != null ? enabled : "auto";
            uri = uri != null ? uri : "qemu:///system";
            if (!List.of("auto", "true", "false").contains(enabled)) {
                throw new IllegalArgumentException("libvirt.enabled must be auto, true or false, not '" + enabled + "'");
            }
            if (uri.isBlank()) {
                throw new IllegalArgumentException("libvirt.uri must not be empty");
            }
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

    /**
     * Isolation posture checks (NIST SP 800-125A): how often they run, where the host's files are (fixture trees in
     * tests; {@code /proc} is {@code sampling.procRoot}), the limits they hold the host to, who owns which VM, and the
     * host baseline the operator declared.
     *
     * @param managementPorts host ports that are management interfaces whoever listens on them (libvirtd's TCP and TLS
     *                        ports by default); every TCP listener of a QEMU process counts as one anyway
     * @param owners          owner name to VM name globs: VMs of one owner may share pinned CPUs; an unlisted VM is
     *                        owned by its libvirt (OpenStack) project, else by itself
     */
    public record Posture(Boolean enabled, Duration interval, Path sysRoot, Path cgroupRoot, Path libvirtRoot,
                          Double memoryOvercommitRatio, Double cpuOvercommitRatio, List<Integer> managementPorts,
                          Map<String, List<String>> owners, Baseline baseline) {
        public Posture {
            enabled = enabled != null ? enabled : Boolean.TRUE;
            interval = interval != null ? interval : Duration.ofSeconds(60);
            sysRoot = sysRoot != null ? sysRoot : Path.of("/sys");
            cgroupRoot = cgroupRoot != null ? cgroupRoot : Path.of("/sys/fs/cgroup");
            libvirtRoot = libvirtRoot != null ? libvirtRoot : Path.of("/run/libvirt/qemu");
            memoryOvercommitRatio = memoryOvercommitRatio != null ? memoryOvercommitRatio : 1.0;
            cpuOvercommitRatio = cpuOvercommitRatio != null ? cpuOvercommitRatio : 1.0;
            managementPorts = managementPorts != null ? List.copyOf(managementPorts) : List.of(16509, 16514);
            owners = owners != null ? Map.copyOf(owners) : Map.of();
            baseline = baseline != null ? baseline : new Baseline(null, null, null, null);
            Check.positive("posture.interval", interval);
            Check.positive("posture.memoryOvercommitRatio", memoryOvercommitRatio);
            Check.positive("posture.cpuOvercommitRatio", cpuOvercommitRatio);
            for (int port : managementPorts) {
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("posture.managementPorts: " + port + " is not a TCP port");
                }
            }
        }
    }

    /**
     * The host settings the operator declares (HY-SR-19); the baseline-drift check reports every difference.
     *
     * @param kernelCmdline tokens {@code /proc/cmdline} must hold ({@code intel_iommu=on}); {@code !token} must be
     *                      absent ({@code !mitigations=off}; {@code !name} also refuses {@code name=anything})
     * @param kvmParameters {@code module.parameter} to value, e.g. {@code kvm_intel.ept: "Y"}
     * @param sysctls       {@code kernel.kptr_restrict: "2"}, read from {@code /proc/sys}
     * @param mitigations   vulnerability file name to the text its status must start with, e.g.
     *                      {@code spectre_v2: "Mitigation"}
     */
    public record Baseline(List<String> kernelCmdline, Map<String, String> kvmParameters, Map<String, String> sysctls,
                           Map<String, String> mitigations) {
        public Baseline {
            kernelCmdline = kernelCmdline != null ? List.copyOf(kernelCmdline) : List.of();
            kvmParameters = kvmParameters != null ? Map.copyOf(kvmParameters) : Map.of();
            sysctls = sysctls != null ? Map.copyOf(sysctls) : Map.of();
            mitigations = mitigations != null ? Map.copyOf(mitigations) : Map.of();
            for (String key : kvmParameters.keySet()) {
                if (!key.matches("[a-z0-9_]+\\.[a-z0-9_]+")) {
                    throw new IllegalArgumentException("posture.baseline.kvmParameters: '" + key
                            + "' is not module.parameter (e.g. kvm_intel.ept)");
                }
            }
        }

        public boolean isEmpty() {
            return kernelCmdline.isEmpty() && kvmParameters.isEmpty() && sysctls.isEmpty() && mitigations.isEmpty();
        }
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
            size = size != null ? size : 16384;
            if (size < 2 || Integer.bitCount(size) != 1) {
                throw new IllegalArgumentException("ring.size must be a power of two, got " + size);
            }
        }
    }

    /**
     * Rules: the default pack shipped with the agent, then these files (or every *.yaml in these directories, in
     * name order); a rule with the id of an earlier one replaces it. Reloaded on SIGHUP and when a file changes.
     *
     * @param runbooks the base URL of the runbooks: an alert's {@code runbook_url} is this followed by
     *                 {@code <rule id>.md}
     */
    public record Rules(List<Path> files, String runbooks) {
        public Rules {
            files = files == null ? List.of() : List.copyOf(files);
            runbooks = AlertFactory.runbookBase("rules.runbooks",
                    runbooks != null ? runbooks : AlertFactory.DEFAULT_RUNBOOKS);
        }
    }

    /**
     * The Prometheus endpoint and how many series it shows (rules see every reading whatever is shown here).
     *
     * @param perVcpu   false: per-vCPU series are summed over the VM's vCPUs and shown without the {@code vcpu} label
     * @param perDevice false: per-device series (disks, network interfaces) are summed over the VM's devices and
     *                  shown without the {@code device} label
     * @param kvmStats  KVM statistics to show, by their KVM names ({@code exits}, {@code halt_poll_success_ns}, …);
     *                  empty: all of them
     * @param webConfig TLS and basic auth of /metrics, in the Prometheus exporters' web configuration format; none:
     *                  plain HTTP, no credentials
     */
    public record Metrics(String listen, Boolean perVcpu, Boolean perDevice, List<String> kvmStats, Path webConfig) {
        public Metrics {
            listen = listen != null ? listen : "127.0.0.1:9847";
            HostPort.parse("metrics.listen", listen);
            perVcpu = perVcpu == null || perVcpu;
            perDevice = perDevice == null || perDevice;
            kvmStats = kvmStats == null ? List.of() : List.copyOf(kvmStats);
            for (int i = 0; i < kvmStats.size(); i++) {
                if (!kvmStats.get(i).matches("[a-z0-9_]+")) {
                    throw new IllegalArgumentException("metrics.kvmStats[" + i + "]: '" + kvmStats.get(i)
                            + "' is not a KVM statistic name (lower case, digits and '_', as kvm_stat shows them)");
                }
            }
        }

        public Metrics(String listen) {
            this(listen, null, null, null, null);
        }
    }

    /**
     * Where alerts go: {@code address}, and when it fails each of {@code failover} in turn. {@code cert}, {@code key}
     * and {@code ca} are PEM files; the demo's in-process collector fills them in.
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
        return new AgentConfig(identity, sampling, ring, rules, metrics, newCollector, state, kmsg, qmp, debugfs,
                tracing, posture, spool, libvirt, attribution);
    }

    public AgentConfig withState(State newState) {
        return new AgentConfig(identity, sampling, ring, rules, metrics, collector, newState, kmsg, qmp, debugfs,
                tracing, posture, spool, libvirt, attribution);
    }

    private static final class Check {
        private Check() {
        }

        static void positive(String key, Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(key + " must be positive, got " + Durations.format(d));
            }
        }

        static void positive(String key, double d) {
            if (!(d > 0) || Double.isInfinite(d)) {
                throw new IllegalArgumentException(key + " must be a positive number, got " + d);
            }
        }
    }
}
