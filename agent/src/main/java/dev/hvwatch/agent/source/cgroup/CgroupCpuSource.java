package dev.hvwatch.agent.source.cgroup;

import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each VM's cgroup CPU controls — what it is entitled to (weight, limit) — and how often its limit throttled it.
 * libvirt's {@code <cputune><shares>/<quota>} and OpenStack's {@code quota:cpu_shares}/{@code cpu_quota} end up in
 * these files. The cgroup is looked up every round, since management tools move QEMU after it starts. A VM whose
 * cgroup cannot be read is counted and logged once, and the other VMs go on.
 */
public final class CgroupCpuSource implements Source {
    /** The series the fairness figures take entitlement from. */
    public static final String WEIGHT = "hvwatch.vm.cpu.weight";
    public static final String LIMIT = "hvwatch.vm.cpu.limit";
    private static final Logger LOG = LoggerFactory.getLogger(CgroupCpuSource.class);

    private final Path procRoot;
    private final Path cgroupRoot;
    private final Supplier<Collection<WatchedVm>> vms;
    private final EventRing ring;
    private final Map<Vm, VmSeries> series = new IdentityHashMap<>();
    private final LongAdder unreadable = new LongAdder();

    public CgroupCpuSource(Path procRoot, Path cgroupRoot, Supplier<Collection<WatchedVm>> vms, EventRing ring) {
        this.procRoot = procRoot;
        this.cgroupRoot = cgroupRoot;
        this.vms = vms;
        this.ring = ring;
    }

    @Override
    public String name() {
        return "cgroup";
    }

    @Override
    public void sample(long nowNanos) throws IOException {
        Collection<WatchedVm> watched = vms.get();
        Set<Vm> current = watched.stream().map(WatchedVm::vm).collect(Collectors.toSet());
        series.keySet().retainAll(current);
        int failed = 0;
        IOException last = null;
        for (WatchedVm w : watched) {
            Vm vm = w.vm();
            Path file = procRoot.resolve(Long.toString(vm.pid())).resolve("cgroup");
            List<String> membership;
            try {
                membership = Files.readAllLines(file);
            } catch (NoSuchFileException e) {
                continue; // the VM ended after discovery looked
            }
            CpuControls controls;
            try {
                controls = CpuControls.read(VmCgroup.resolve(cgroupRoot, membership, file.toString()));
            } catch (IOException e) {
                unreadable.increment();
                failed++;
                last = e;
                VmSeries s = series.get(vm);
                if (s == null || !s.warned) {
                    LOG.warn("cgroup CPU controls of {}: {}", vm.describe(), e.getMessage());
                    series.computeIfAbsent(vm, v -> new VmSeries()).warned = true;
                }
                continue;
            }
            VmSeries s = series.computeIfAbsent(vm, v -> new VmSeries());
            ring.publishSample(nowNanos, vm, -1, s.weight, controls.weight());
            ring.publishSample(nowNanos, vm, -1, s.limit, controls.limitCpus());
            ring.publishSample(nowNanos, vm, -1, s.periods, controls.periods());
            ring.publishSample(nowNanos, vm, -1, s.throttledPeriods, controls.throttledPeriods());
            ring.publishSample(nowNanos, vm, -1, s.throttled, controls.throttledSeconds());
        }
        if (failed > 0 && failed == watched.size()) {
            throw new IOException("no VM's cgroup CPU controls are readable: " + last.getMessage(), last);
        }
    }

    /** VMs whose cgroup could not be read, counted per round. */
    public long errors() {
        return unreadable.sum();
    }

    /** One VM's series, made once so that publishing allocates nothing. */
    private static final class VmSeries {
        final Series weight = new Series(WEIGHT, "The VM's cgroup CPU weight on the cgroup v2 scale (100 = default; "
                + "v1 cpu.shares x 100/1024)", null, false, Map.of());
        final Series limit = new Series(LIMIT, "The VM's cgroup CPU bandwidth limit in CPUs (+Inf: none)", "cpus",
                false, Map.of());
        final Series periods = new Series("hvwatch.vm.cpu.periods", "CPU bandwidth enforcement periods of the VM's "
                + "cgroup", null, true, Map.of());
        final Series throttledPeriods = new Series("hvwatch.vm.cpu.throttled.periods", "Enforcement periods in which "
                + "the VM's cgroup used up its CPU limit and was throttled", null, true, Map.of());
        final Series throttled = new Series("hvwatch.vm.cpu.throttled", "Time the VM's cgroup was throttled by its CPU "
                + "limit", "seconds", true, Map.of());
        boolean warned;
    }
}
