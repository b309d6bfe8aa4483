package dev.hvwatch.agent.source.posture;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.posture.check.DefaultChecks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the posture checks on their own period, and at once when a VM appears or libvirt rewrites a VM's status file
 * (as it does on every live change: hot-plug, tuning), so that a badly configured VM is reported within one sampling
 * interval of its start or change. For every outcome it publishes the check's state,
 * {@code hvwatch_posture_check{check[,vm]}} (1 pass, 0 fail), and for every failure a {@code posture.finding} notice
 * with facts {@code check}, {@code summary}, {@code fix} and the evidence; and the host's and VMs' sizes
 * ({@link Capacity}). A finding is published every run while it
 * lasts: the posture-* rules fire once on the first and resolve when they stop coming.
 */
public final class PostureSource implements Source {
    public static final String NOTICE = "posture.finding";
    private static final Logger LOG = LoggerFactory.getLogger(PostureSource.class);
    private static final String METRIC = "hvwatch.posture.check";

    private final HostView.Roots roots;
    private final Supplier<Collection<WatchedVm>> vms;
    private final EventRing ring;
    private final List<PostureCheck> checks;
    private final long intervalNanos;
    private final Problems problems = new Problems();
    private final Capacity capacity;
    /** Gauges per VM (identity: a restarted VM is a new Vm), one per check, and the host's. */
    private final Map<Vm, Map<String, Series>> series = new IdentityHashMap<>();
    private final Map<String, Series> hostSeries = new HashMap<>();
    /** The VMs of the last run, with their libvirt status file's modification time then (null: none). */
    private final Map<Vm, FileTime> lastRun = new IdentityHashMap<>();
    private long nextRunNanos = Long.MIN_VALUE;

    /** @param vms the VMs discovery watches now; called on the sampling thread, after discovery's round */
    public PostureSource(HostView.Roots roots, Supplier<Collection<WatchedVm>> vms, EventRing ring,
                         List<PostureCheck> checks, Duration interval) {
        this.roots = roots;
        this.vms = vms;
        this.capacity = new Capacity(ring);
        this.ring = ring;
        this.checks = List.copyOf(checks);
        this.intervalNanos = interval.toNanos();
    }

    /** The source the agent runs: every default check, on the configured period and roots. */
    public static PostureSource create(AgentConfig.Posture config, Path procRoot,
                                       Supplier<Collection<WatchedVm>> vms, EventRing ring) {
        HostView.Roots roots = new HostView.Roots(procRoot, config.sysRoot(), config.cgroupRoot(),
                config.libvirtRoot());
        return new PostureSource(roots, vms, ring, DefaultChecks.of(config), config.interval());
    }

    @Override
    public String name() {
        return "posture";
    }

    @Override
    public void sample(long nowNanos) {
        Collection<WatchedVm> watched = vms.get();
        boolean newOrChanged = watched.stream().anyMatch(w -> !lastRun.containsKey(w.vm())
                || !Objects.equals(lastRun.get(w.vm()), stamp(w.vm())));
        if (nowNanos < nextRunNanos && !newOrChanged) {
            return;
        }
        nextRunNanos = nowNanos + intervalNanos;
        lastRun.clear();
        watched.forEach(w -> lastRun.put(w.vm(), stamp(w.vm())));
        series.keySet().retainAll(lastRun.keySet());
        HostView host = new HostView(roots, watched);
        for (Outcome o : runChecks(host)) {
            publish(nowNanos, o);
        }
        capacity.publish(nowNanos, host, problems);
    }

    /**
     * When libvirt last rewrote the VM's status file; null for plain QEMU, which has none (not looked for: a missing
     * file costs an exception a VM a round).
     */
    private FileTime stamp(Vm vm) {
        if (!vm.managedByLibvirt()) {
            return null;
        }
        try {
            return Files.getLastModifiedTime(roots.libvirt().resolve(vm.name() + ".xml"));
        } catch (IOException noStatusFile) {
            return null;
        }
    }

    /** Every check's outcomes for one view of the host; a check that cannot read what it needs is skipped and counted. */
    public List<Outcome> runChecks(HostView host) {
        List<Outcome> outcomes = new ArrayList<>();
        problems.startRun();
        for (PostureCheck check : checks) {
            try {
                outcomes.addAll(check.run(host, problems));
            } catch (UnreadableInput e) {
                problems.report(check.id(), e);
            } catch (RuntimeException e) {
                // A bug in one check must not take the others down with it.
                problems.report(check.id(), e);
                LOG.debug("posture check {} failed", check.id(), e);
            }
        }
        return outcomes;
    }

    private void publish(long nowNanos, Outcome o) {
        Map<String, Series> bySeries = o.vm() == null ? hostSeries : series.computeIfAbsent(o.vm(), v -> new HashMap<>());
        Series gauge = bySeries.computeIfAbsent(o.check(), id -> new Series(METRIC,
                "Isolation posture check (NIST SP 800-125A): 1 passes, 0 fails; see the posture-<check> rules",
                null, false, Map.of("check", id)));
        ring.publishSample(nowNanos, o.vm(), -1, gauge, o.passed() ? 1 : 0);
        if (!o.passed()) {
            ring.publishNotice(nowNanos, o.vm(), notice(o));
        }
    }

    /** The notice a failed check publishes: its id, summary and fix, then its own figures. */
    public static Notice notice(Outcome o) {
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("check", o.check());
        facts.put("summary", o.summary());
        facts.put("fix", o.fix());
        o.evidence().forEach(facts::putIfAbsent);
        return new Notice(NOTICE, o.device(), facts, o.summary());
    }

    /** Inputs the checks could not read or parse, once per run each, since the start; any thread may ask. */
    public long errors() {
        return problems.count();
    }
}
