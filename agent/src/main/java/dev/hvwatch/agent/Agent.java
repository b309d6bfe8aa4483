package dev.hvwatch.agent;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.alert.AlertSink;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.metrics.AgentMetrics;
import dev.hvwatch.agent.metrics.MetricsServer;
import dev.hvwatch.agent.metrics.VmMetrics;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.rules.RuleEngine;
import dev.hvwatch.agent.rules.StarvationRule;
import dev.hvwatch.agent.ship.AlertShipper;
import dev.hvwatch.agent.spool.Spool;
import dev.hvwatch.agent.spool.SpoolKeeper;
import dev.hvwatch.agent.spool.SpoolOverflowAlarm;
import dev.hvwatch.agent.source.Sampler;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.source.UnavailableSource;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.source.kmsg.KmsgCursor;
import dev.hvwatch.agent.source.kmsg.KmsgSource;
import dev.hvwatch.agent.source.schedstat.SchedstatSource;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.config.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent, wired in data-path order: sources (discovery, schedstat, kernel log) → ring → (metrics, rules) →
 * alerts → spool → ship. Everything the agent runs
 * is created here, so this class is the map of the agent.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    private static final Duration SPOOL_ALARM_INTERVAL = Duration.ofMinutes(1);

    private final AgentConfig config;
    private final AgentMetrics metrics = new AgentMetrics();
    private final Spool spool;
    private final AlertShipper shipper;
    private final SpoolKeeper spoolKeeper;
    private final EventRing ring;
    private final DiscoverySource discovery;
    private final Sampler sampler;
    private final MetricsServer metricsServer;
    private KmsgSource kmsg;

    private Agent(AgentConfig config) throws IOException {
        this.config = config;
        String identity = config.identity().host();
        AlertFactory alerts = new AlertFactory(identity);
        spool = Spool.open(config.state().dir().resolve("spool"), config.spool().limits());
        shipper = AlertShipper.start(config.collector(), identity, spool);
        spoolKeeper = SpoolKeeper.start(spool,
                new SpoolOverflowAlarm(spool, alerts, alertSink(), SPOOL_ALARM_INTERVAL));
        StarvationRule starvation = new StarvationRule(config.rules().starvation(), alerts, alertSink());
        metrics.alerts(StarvationRule.ID, starvation.severity().wireName());

        ring = new EventRing(config.ring().size(), new VmMetrics(metrics.registry()), new RuleEngine(starvation));
        discovery = new DiscoverySource(new ProcDiscovery(config.sampling().procRoot()), ring);
        SchedstatSource schedstat = new SchedstatSource(config.sampling().procRoot(), discovery, ring);
        List<Source> sources = new ArrayList<>(List.of(discovery, schedstat));
        if (config.kmsg().enabled()) {
            sources.add(startKernelLog());
        }
        sampler = new Sampler(sources, config.sampling().interval());

        metrics.bindDrops(EventRing.STAGE, ring, EventRing::dropped);
        metrics.bindDrops(Spool.STAGE, spool, Spool::dropped);
        metrics.bindGauge("hvwatch.spool.pending.alerts", "Alerts spooled that no collector has acknowledged yet",
                spool, Spool::pending);
        sampler.sourceNames().forEach(name -> metrics.bindSourceUp(name, () -> sampler.isUp(name)));
        metrics.bindSourceErrors(schedstat.name(), schedstat, SchedstatSource::parseErrors);
        if (kmsg != null) {
            metrics.bindSourceErrors(kmsg.name(), kmsg, KmsgSource::parseErrors);
            metrics.bindCounter("hvwatch.kmsg.spoofed.records", "Userspace kernel-log records that imitated a "
                    + "kernel fault line; ignored", kmsg, KmsgSource::spoofed);
            metrics.bindCounter("hvwatch.kmsg.overruns", "Times the kernel overwrote log records before the agent "
                    + "read them", kmsg, KmsgSource::missed);
        }

        InetSocketAddress listen = HostPort.parse("metrics.listen", config.metrics().listen()).toAddress();
        metricsServer = new MetricsServer(listen, metrics);
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

    /** Starts the agent; the first sampling round has run when this returns. */
    public static Agent start(AgentConfig config) throws IOException {
        Agent agent = new Agent(config);
        agent.sampler.round();
        agent.sampler.start();
        LOG.info("hvwatch agent {} sampling every {} ms, metrics on http://{}/metrics, alerts to {}",
                config.identity().host(), config.sampling().interval().toMillis(),
                hostPort(agent.metricsServer.address()), config.collector().address());
        return agent;
    }

    private AlertSink alertSink() {
        return (Alert alert) -> {
            metrics.alerts(alert.rule(), alert.severity().wireName()).increment();
            LOG.info("alert {} {} {}: {}", alert.rule(), alert.state().wireName(), alert.severity().wireName(),
                    alert.message());
            shipper.offer(alert);
        };
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
        if (kmsg != null) {
            try {
                kmsg.close();
            } catch (IOException e) {
                LOG.warn("kernel log cursor not saved: {}", e.getMessage());
            }
        }
        ring.close();
        metricsServer.close();
        spoolKeeper.close();
        shipper.close();
        spool.close();
    }
}
