package dev.hvwatch.agent;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.metrics.AgentMetrics;
import dev.hvwatch.agent.metrics.MetricsServer;
import dev.hvwatch.agent.metrics.Shown;
import dev.hvwatch.agent.metrics.InterferenceMetrics;
import dev.hvwatch.agent.metrics.VmMetrics;
import dev.hvwatch.agent.metrics.WebConfig;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.rules.RuleEngine;
import dev.hvwatch.agent.ship.AlertShipper;
import dev.hvwatch.agent.rules.attribution.Attribution;
import dev.hvwatch.agent.rules.RulePack;
import dev.hvwatch.agent.rules.RuleReloader;
import dev.hvwatch.agent.spool.Spool;
import dev.hvwatch.agent.source.Sampler;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.source.UnavailableSource;
import dev.hvwatch.agent.source.census.ProcCensus;
import dev.hvwatch.agent.source.cgroup.CgroupCpuSource;
import dev.hvwatch.agent.source.debugfs.DebugfsSource;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.source.health.AgentHealthSource;
import dev.hvwatch.agent.source.kmsg.KmsgCursor;
import dev.hvwatch.agent.source.kmsg.KmsgSource;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import dev.hvwatch.agent.source.libvirt.DomainMetric.Group;
import dev.hvwatch.agent.source.libvirt.LibvirtSource;
import dev.hvwatch.agent.source.perf.PerfCounterSource;
import dev.hvwatch.agent.source.posture.PostureSource;
import dev.hvwatch.agent.source.psi.PressureSource;
import dev.hvwatch.agent.source.qmp.QmpError;
import dev.hvwatch.agent.source.qmp.QmpSource;
import dev.hvwatch.agent.source.schedstat.SchedstatSource;
import dev.hvwatch.agent.source.tracepoint.ExitTracepointSource;
import dev.hvwatch.agent.source.tracepoint.IommuFaultSource;
import dev.hvwatch.agent.source.tracepoint.Isa;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.config.ConfigException;
import dev.hvwatch.protocol.config.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent, wired in data-path order: sources (discovery, schedstat, exit tracepoints, perf counters, libvirt, KVM
 * statistics via QMP or debugfs, pressure, kernel log, posture, agent health) → ring → (metrics, rules) → alerts →
 * spool → ship. Everything the agent runs
 * is created here, so this class is the map of the agent.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    private static final Path LIBVIRT_RUN = Path.of("/run/libvirt");

    private final AgentConfig config;
    private final AgentMetrics metrics = new AgentMetrics();
    private final AlertDelivery delivery;
    private final EventRing ring;
    private final RuleEngine rules;
    private final DiscoverySource discovery;
    private final SchedstatSource schedstat;
    private final CgroupCpuSource cgroups;
    private final Sampler sampler;
    private final MetricsServer metricsServer;
    private final RuleReloader reloader;
    private final QmpSource qmp;
    private final ExitTracepointSource exits;
    private final IommuFaultSource iommuFaults;
    private final PerfCounterSource perf;
    private final LibvirtSource libvirt;
    private KmsgSource kmsg;

    private Agent(AgentConfig config) throws IOException, ConfigException {
        this.config = config;
        String identity = config.identity().host();
        RulePack pack = RulePack.load(config.rules().files());
        AlertFactory alerts = new AlertFactory(identity, config.rules().runbooks());
        delivery = AlertDelivery.start(config, alerts, this::spool);
        Path proc = config.sampling().procRoot();
        ProcCensus census = new ProcCensus(proc);
        Attribution attribution = config.attribution().enabled()
                ? new Attribution(census, config.attribution().interval(), config.attribution().interferenceFloor(),
                        new InterferenceMetrics(metrics.registry()))
                : Attribution.off();
        rules = new RuleEngine(pack, alerts, this::spool, Runtime.getRuntime().availableProcessors(),
                metrics::alertsFiring, attribution);
        registerAlertCounters(pack);
        metrics.bindCounter("hvwatch.attribution.censuses", "Censuses of the host's CPU time taken to name who took "
                + "a starved vCPU's CPU (only while a rule is near its threshold)", attribution,
                Attribution::censusesTaken);
        metrics.bindCounter("hvwatch.attribution.unexplained", "Starvation and unfair-share alerts that went out "
                + "without naming who took the CPU (no census of the VM to compare with)", attribution,
                Attribution::unexplained);
        metrics.bindSourceErrors("census", census, c -> c.errors() + attribution.censusesFailed());

        ring = new EventRing(config.ring().size(), new VmMetrics(metrics.registry(), Runtime.getRuntime().availableProcessors(),
                Shown.of(config.metrics())), rules);
        discovery = new DiscoverySource(ProcDiscovery.ofHost(proc), ring);
        metrics.bindCounter("hvwatch.discovery.event.overflows", "Times the kernel's queue of process events "
                + "overflowed between two rounds, each making discovery list /proc in full", discovery,
                DiscoverySource::processEventOverflows);
        schedstat = new SchedstatSource(proc, discovery, ring);
        KvmStatSeries kvmStats = new KvmStatSeries();
        libvirt = LibvirtSource.wanted(config.libvirt().enabled(), config.libvirt().uri(), LIBVIRT_RUN)
                ? new LibvirtSource(config.libvirt().uri(), discovery::watched, ring, kvmStats) : null;
        if (libvirt != null) {
            discovery.lookUpTenantsWith(libvirt);
        }
        qmp = new QmpSource(discovery::watched, ring, kvmStats, proc, config.qmp().sockets(), config.qmp().timeout());
        DebugfsSource debugfs = new DebugfsSource(config.debugfs().root(), discovery::watched, ring, kvmStats,
                vm -> qmp.mayFeed(vm) || (libvirt != null && libvirt.mayFeed(vm)));
        exits = new ExitTracepointSource(config.tracing().root(), Isa.detect(config.tracing().modules()), discovery,
                ring);
        iommuFaults = new IommuFaultSource(config.tracing().root(), config.posture().sysRoot(), ring);
        perf = new PerfCounterSource(discovery, ring);
        cgroups = new CgroupCpuSource(proc, config.posture().cgroupRoot(), discovery::watched, ring);
        sampler = new Sampler(config.sampling().interval(), ring).add(discovery).add(schedstat).add(exits)
                .add(iommuFaults).add(perf);
        if (libvirt != null) {
            sampler.add(libvirt);
        }
        sampler.add(qmp).add(debugfs) // libvirt and QMP claim their VMs' KVM statistics first; debugfs feeds the others
                .add(cgroups).add(new PressureSource(proc, ring));
        if (config.kmsg().enabled()) {
            sampler.add(startKernelLog());
        }
        if (config.posture().enabled()) {
            PostureSource posture = PostureSource.create(config.posture(), proc, discovery::watched, ring);
            sampler.add(posture);
            metrics.bindSourceErrors(posture.name(), posture, PostureSource::errors);
        }
        AgentHealthSource health = new AgentHealthSource(ring, sampler).dropsOf(EventRing.STAGE, ring::dropped)
                .dropsOf(EventRing.CONSUMER_STAGE, ring::consumerErrors);
        if (libvirt != null) {
            health.dropsOf(LibvirtSource.EVENTS_STAGE, libvirt::eventsDropped);
        }
        sampler.add(health);
        metrics.bindSelfMonitoring(sampler);
        reloader = new RuleReloader(config.rules().files(), rules, this::registerAlertCounters);

        metrics.bindGauge("hvwatch.spool.pending.alerts", "Alerts spooled that no collector has acknowledged yet",
                delivery, AlertDelivery::pending);
        metrics.bindGauge("hvwatch.spool.writable", "1 while the spool is open and its disk has room for an alert",
                delivery, d -> d.writable() ? 1 : 0);
        // Spool drops have their own alarm (agent-spool-overflow), so they are not fed to agent-events-dropped.
        metrics.bindCounter("hvwatch.events.dropped", AgentHealthSource.DROPS_HELP, delivery, AlertDelivery::dropped,
                "stage", Spool.STAGE);
        for (String reason : AlertShipper.refusalReasons()) {
            metrics.bindCounter("hvwatch.ship.refusals", "Times a collector refused this agent, by reason (its REFUSE "
                    + "frame's, or certificate_revoked / certificate_refused from TLS); each is logged", delivery,
                    d -> d.refusals(reason), "reason", reason);
        }
        metrics.bindSourceErrors(schedstat.name(), schedstat, SchedstatSource::errors);
        metrics.bindSourceErrors(debugfs.name(), debugfs, DebugfsSource::errors);
        metrics.bindSourceErrors(exits.name(), exits, ExitTracepointSource::errors);
        metrics.bindSourceErrors(iommuFaults.name(), iommuFaults, IommuFaultSource::errors);
        metrics.bindSourceErrors(perf.name(), perf, PerfCounterSource::errors);
        metrics.bindSourceErrors(cgroups.name(), cgroups, CgroupCpuSource::errors);
        for (QmpError reason : QmpError.values()) {
            metrics.bindCounter("hvwatch.qmp.errors", "Failed QMP exchanges, by reason", qmp, q -> q.errors(reason),
                    "reason", reason.label());
        }
        if (libvirt != null) {
            metrics.bindSourceErrors(libvirt.name(), libvirt, LibvirtSource::errors);
            metrics.bindCounter("hvwatch.source.overruns", "Sampling rounds that found the source's previous work "
                    + "still running, and so started none", libvirt, LibvirtSource::overruns, "source", libvirt.name());
            for (Group group : Group.values()) {
                metrics.bindCounter("hvwatch.libvirt.stats.skipped", "Times a domain's statistics lacked a group it "
                        + "had before: libvirt leaves out what needs the domain's monitor while a job holds it",
                        libvirt, l -> l.skipped(group), "group", group.prefix());
            }
        }
        if (kmsg != null) {
            metrics.bindSourceErrors(kmsg.name(), kmsg, KmsgSource::errors);
            metrics.bindCounter("hvwatch.kmsg.spoofed.records", "Userspace kernel-log records that imitated a "
                    + "kernel fault line; ignored", kmsg, KmsgSource::spoofed);
            metrics.bindCounter("hvwatch.state.write.failures", "Times an agent state file could not be written "
                    + "(a full or read-only disk), by file", kmsg, KmsgSource::cursorSaveFailures,
                    "file", "kmsg.cursor");
            metrics.bindCounter("hvwatch.kmsg.overruns", "Times the kernel overwrote log records before the agent "
                    + "read them", kmsg, KmsgSource::missed);
        }

        InetSocketAddress listen = HostPort.parse("metrics.listen", config.metrics().listen()).toAddress();
        Path webConfigFile = config.metrics().webConfig();
        WebConfig web = webConfigFile == null ? new WebConfig(null, null) : WebConfig.load(webConfigFile);
        try {
            metricsServer = new MetricsServer(listen, metrics, web,
                    webConfigFile == null ? null : web.sslContext(webConfigFile), MetricsServer.Limits.DEFAULT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding metrics.listen " + config.metrics().listen(), e);
        }
    }

    private Source startKernelLog() {
        Path device = config.kmsg().device();
        try {
            String bootId = Files.readString(config.sampling().procRoot().resolve("sys/kernel/random/boot_id")).trim();
            KmsgCursor cursor = KmsgCursor.open(config.state().dir().resolve("kmsg.cursor"), bootId);
            kmsg = new KmsgSource(device, cursor, ring).start();
            return kmsg;
        } catch (IOException e) {
            return new UnavailableSource("kmsg", "cannot read the kernel log " + device + ": " + e.getMessage());
        }
    }

    /** Every rule's alert counter exists from the start, at 0, so that dashboards can tell "none" from "unknown". */
    private void registerAlertCounters(RulePack pack) {
        pack.specs().forEach(r -> {
            metrics.alerts(r.id(), r.severity().wireName());
            metrics.bindCounter("hvwatch.alerts.suppressed", "Alerts held back by their rule's rate limit (firing "
                    + "and resolved), by rule", rules.rateLimiter(), l -> l.suppressed(r.id()), "rule", r.id());
        });
    }

    /** Starts the agent; the first sampling round has run when this returns. */
    public static Agent start(AgentConfig config) throws IOException, ConfigException {
        Agent agent = new Agent(config);
        agent.sampler.round();
        agent.sampler.start();
        LOG.info("hvwatch agent {} sampling every {} ms, metrics on {}://{}/metrics, alerts to {}",
                config.identity().host(), config.sampling().interval().toMillis(),
                agent.metricsServer.scheme(), hostPort(agent.metricsServer.address()),
                config.collector().address());
        return agent;
    }

    /**
     * Counts, spools and logs an alert; its seq, or 0 when the spool lost it (counted there). Logged once spooled, so
     * that an alert in the log is one the spool holds, whenever the process stops.
     */
    private long spool(Alert alert) {
        if (delivery == null) {
            return 0; // the spool's alarm, before the agent is wired: it raises the alert again in a second
        }
        metrics.alerts(alert.rule(), alert.severity().wireName()).increment();
        long seq = delivery.offer(alert);
        if (seq > 0) {
            LOG.info("alert {} {} {}: {}", alert.rule(), alert.state().wireName(), alert.severity().wireName(),
                    alert.message());
        } else {
            LOG.warn("alert lost, the spool could not take it (counted): {} {} {}: {}",
                    alert.rule(), alert.state().wireName(), alert.severity().wireName(), alert.message());
        }
        return seq;
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    /** VMs watched after the latest sampling round. */
    public int vmCount() {
        return discovery.vmCount();
    }

    public InetSocketAddress metricsAddress() {
        return metricsServer.address();
    }

    public AgentConfig config() {
        return config;
    }

    @Override
    public void close() {
        sampler.close();
        discovery.close();
        qmp.close(); // reads the last events, e.g. a SHUTDOWN, before the ring stops
        if (libvirt != null) {
            libvirt.close();
        }
        schedstat.close();
        cgroups.close();
        exits.close();
        iommuFaults.close();
        perf.close();
        try {
            reloader.close();
        } catch (IOException e) {
            LOG.debug("rule watcher: {}", e.getMessage());
        }
        if (kmsg != null) {
            try {
                kmsg.close();
            } catch (IOException e) {
                LOG.warn("kernel log cursor not saved: {}", e.getMessage());
            }
        }
        ring.close();
        metricsServer.close();
        metrics.close();
        delivery.close();
        LOG.info("hvwatch agent stopped: every alert raised is in the spool, which is closed");
    }
}
