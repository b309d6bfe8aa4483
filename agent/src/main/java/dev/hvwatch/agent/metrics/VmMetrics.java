package dev.hvwatch.agent.metrics;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.source.cgroup.CgroupCpuSource;
import dev.hvwatch.agent.vm.Tenant;
import dev.hvwatch.agent.vm.Vm;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The ring consumer that keeps the per-VM series: {@code hvwatch_vm_info}, the per-vCPU run and wait seconds, and
 * every {@link Series} a source samples (VM exits, KVM statistics, perf counters).
 * A VM's series are registered with its first event and removed when it stops, so that a stopped VM disappears
 * from {@code /metrics}. Single writer: only the ring's metrics thread changes the state; scrapes read volatiles.
 */
public final class VmMetrics implements EventHandler<TelemetryEvent> {
    private final MeterRegistry registry;
    private final Fairness fairness;
    private final Shown shown;
    private final Map<Vm, VmSeries> series = new IdentityHashMap<>();
    /** Host-wide series (IOMMU faults, …): samples published without a VM. */
    private final VmSeries host = new VmSeries(null);

    public VmMetrics(MeterRegistry registry) {
        this(registry, Runtime.getRuntime().availableProcessors(), Shown.ALL);
    }

    /**
     * @param hostCpus the host's CPU count, the capacity VMs' CPU shares are measured against
     * @param shown    which series /metrics shows
     */
    public VmMetrics(MeterRegistry registry, int hostCpus, Shown shown) {
        this.registry = registry;
        this.shown = shown;
        this.fairness = new Fairness(hostCpus);
        Gauge.builder("hvwatch.host.cpu.fairness.index", fairness, Fairness::index)
                .description("Jain's fairness index over the entitlement-normalised CPU shares of the VMs that wanted "
                        + "CPU in the last 10 s: 1 = each got its entitlement, 1/n = one VM took everything")
                .strongReference(true)
                .register(registry);
    }

    @Override
    public void onEvent(TelemetryEvent e, long sequence, boolean endOfBatch) {
        switch (e.kind()) {
            case VM_STARTED -> seriesOf(e.vm());
            case NOTICE -> {
                // Notices are counted by the rules that act on them.
            }
            case SCHEDSTAT -> {
                seriesOf(e.vm()).vcpu(e.vcpu()).update(e.runNanos(), e.waitNanos());
                fairness.onSchedstat(e.vm(), e.vcpu(), e.runNanos(), e.waitNanos());
            }
            case TICK -> {
                fairness.onTick(e.timeNanos());
                series.values().forEach(VmSeries::refreshInfo);
            }
            case SAMPLE -> {
                Slot slot = seriesOf(e.vm()).sample(e.series(), e.vcpu());
                slot.set(e.value());
                switch (slot.entitlement()) {
                    case WEIGHT -> fairness.onWeight(e.vm(), e.value());
                    case LIMIT -> fairness.onLimit(e.vm(), e.value());
                    case NONE -> {
                        // most series say nothing about entitlement
                    }
                }
            }
            case VM_STOPPED -> {
                fairness.onVmStopped(e.vm());
                VmSeries gone = series.remove(e.vm());
                if (gone != null) {
                    gone.meters.forEach(registry::remove);
                }
            }
        }
    }

    private VmSeries seriesOf(Vm vm) {
        return vm == null ? host : series.computeIfAbsent(vm, this::register);
    }

    private VmSeries register(Vm vm) {
        VmSeries s = new VmSeries(vm);
        s.refreshInfo();
        Fairness.VmRound round = fairness.round(vm);
        Tags tags = Tags.of("vm", vm.name());
        s.meters.add(Gauge.builder("hvwatch.vm.cpu.share", round, Fairness.VmRound::share)
                .description("The VM's vCPU run time in the last 10 s over the host's CPU capacity")
                .baseUnit("ratio").tags(tags).register(registry));
        s.meters.add(Gauge.builder("hvwatch.vm.cpu.entitlement", round, Fairness.VmRound::entitlement)
                .description("The VM's CPU time in the last 10 s over what it was entitled to among the VMs that "
                        + "wanted CPU (vCPUs x cgroup weight, within cgroup limits): 1 = its entitlement; "
                        + "NaN while it wants none")
                .baseUnit("ratio").tags(tags).register(registry));
        s.meters.add(Gauge.builder("hvwatch.vm.steal", round, Fairness.VmRound::steal)
                .description("The VM's vCPU wait over run + wait in the last 10 s: the share of its wanted CPU time "
                        + "the guest lost as steal")
                .baseUnit("ratio").tags(tags).register(registry));
        return s;
    }

    private final class VmSeries {
        final Vm vm;
        final List<Meter> meters = new ArrayList<>();
        final Map<Series, Slot> samples = new IdentityHashMap<>();
        /**
         * Series summed over the VM's vCPUs or devices, when per-vCPU or per-device series are not shown: by name,
         * the labels shown and the vCPU shown (-1 for none).
         */
        final Map<List<Object>, Latest> sums = new HashMap<>();
        VcpuTimes[] vcpus = new VcpuTimes[0];
        /** The tenant {@code hvwatch_vm_info} shows, replaced when the VM's manager says it changed. */
        Tenant infoTenant;
        Meter info;

        VmSeries(Vm vm) {
            this.vm = vm;
        }

        /**
         * Registers {@code hvwatch_vm_info}, again when the VM's tenant changed. Every label is always there (empty
         * when unknown): Prometheus wants one label set per metric name.
         */
        void refreshInfo() {
            Tenant tenant = vm == null ? null : vm.tenant();
            if (tenant == null || tenant == infoTenant) {
                return;
            }
            if (info != null) {
                meters.remove(info);
                registry.remove(info);
            }
            infoTenant = tenant;
            info = Gauge.builder("hvwatch.vm.info", () -> 1)
                    .description("A VM on this host; the value is always 1, the labels carry the facts: its manager "
                            + "(libvirt or qemu) and, where the manager records them, its tenant (OpenStack Nova)")
                    .strongReference(true)
                    .tags(Tags.of("vm", vm.name(), "uuid", vm.uuid(), "pid", Long.toString(vm.pid()), "source", "proc",
                            "manager", vm.manager())
                            .and("instance_name", orEmpty(tenant.instanceName()), "project", orEmpty(tenant.project()),
                                    "project_id", orEmpty(tenant.projectId()), "user", orEmpty(tenant.user()),
                                    "flavor", orEmpty(tenant.flavor())))
                    .register(registry);
            meters.add(info);
        }

        VcpuTimes vcpu(int index) {
            if (index >= vcpus.length) {
                vcpus = Arrays.copyOf(vcpus, index + 1);
            }
            if (vcpus[index] == null) {
                VcpuTimes t = new VcpuTimes();
                if (shown.perVcpu()) {
                    registerTimes(t, Tags.of("vm", vm.name(), "vcpu", Integer.toString(index)), "vCPU thread");
                } else if (Arrays.stream(vcpus).allMatch(Objects::isNull)) {
                    registerTimes(new VcpuTimes() {
                        @Override
                        double runSeconds() {
                            return Arrays.stream(vcpus).filter(Objects::nonNull).mapToDouble(VcpuTimes::runSeconds)
                                    .sum();
                        }

                        @Override
                        double waitSeconds() {
                            return Arrays.stream(vcpus).filter(Objects::nonNull).mapToDouble(VcpuTimes::waitSeconds)
                                    .sum();
                        }
                    }, Tags.of("vm", vm.name()), "VM's vCPU threads together");
                }
                vcpus[index] = t;
            }
            return vcpus[index];
        }

        private void registerTimes(VcpuTimes t, Tags tags, String who) {
            meters.add(FunctionCounter.builder("hvwatch.vcpu.run", t, VcpuTimes::runSeconds)
                    .description("Time the " + who + " ran on a host CPU")
                    .baseUnit("seconds").tags(tags).register(registry));
            meters.add(FunctionCounter.builder("hvwatch.vcpu.wait", t, VcpuTimes::waitSeconds)
                    .description("Time the " + who + " was runnable but waiting for a host CPU (the guest's steal)")
                    .baseUnit("seconds").tags(tags).register(registry));
        }

        /** Where a source's series goes, decided (and its meter registered) when its first sample arrives. */
        Slot sample(Series of, int vcpu) {
            Slot slot = samples.get(of);
            if (slot == null) {
                slot = slotOf(of, vcpu);
                samples.put(of, slot);
            }
            return slot;
        }

        private Slot slotOf(Series of, int vcpu) {
            if (!shown.kvmStat(of.name())) {
                return Slot.HIDDEN;
            }
            boolean vcpusSummed = vcpu >= 0 && !shown.perVcpu();
            boolean devicesSummed = !shown.perDevice() && of.labels().containsKey(Series.DEVICE);
            Map<String, String> labels = of.labels();
            if (devicesSummed) {
                labels = new HashMap<>(labels);
                labels.remove(Series.DEVICE);
            }
            List<Object> sumKey = List.of(of.name(), labels, vcpusSummed ? -1 : vcpu);
            if (vcpusSummed || devicesSummed) {
                Latest sum = sums.get(sumKey);
                if (sum != null) {
                    return new Slot(sum, sum.newPart(), Entitlement.of(vm, of));
                }
            }
            Latest latest = new Latest();
            Tags tags = vm == null ? Tags.empty() : Tags.of("vm", vm.name());
            if (vcpu >= 0 && !vcpusSummed) {
                tags = tags.and("vcpu", Integer.toString(vcpu));
            }
            for (Map.Entry<String, String> label : labels.entrySet()) {
                tags = tags.and(label.getKey(), label.getValue());
            }
            meters.add(of.cumulative()
                    ? FunctionCounter.builder(of.name(), latest, Latest::get).description(of.help())
                            .baseUnit(of.baseUnit()).tags(tags).register(registry)
                    : Gauge.builder(of.name(), latest, Latest::get).description(of.help())
                            .baseUnit(of.baseUnit()).tags(tags).register(registry));
            if (vcpusSummed || devicesSummed) {
                sums.put(sumKey, latest);
            }
            return new Slot(latest, latest.newPart(), Entitlement.of(vm, of));
        }
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /**
     * One series' place: a part of a meter's value (a vCPU's, when the meter sums them), or nowhere; and what its
     * samples say of the VM's entitlement, decided with the slot so that a sample costs no name comparison.
     */
    private record Slot(Latest latest, int part, Entitlement entitlement) {
        static final Slot HIDDEN = new Slot(null, 0, Entitlement.NONE);

        void set(double value) {
            if (latest != null) {
                latest.set(part, value);
            }
        }
    }

    /** The cgroup CPU controls that define what a VM is entitled to. */
    private enum Entitlement {
        NONE, WEIGHT, LIMIT;

        static Entitlement of(Vm vm, Series series) {
            if (vm == null) {
                return NONE;
            }
            return switch (series.name()) {
                case CgroupCpuSource.WEIGHT -> WEIGHT;
                case CgroupCpuSource.LIMIT -> LIMIT;
                default -> NONE;
            };
        }
    }

    /**
     * The latest values behind one meter, the sum of its parts (one part unless it sums vCPUs or devices); held
     * strongly here because Micrometer holds it only weakly.
     */
    private static final class Latest {
        /** Written again after each part changes, so that a scrape, reading it first, sees the parts it covers. */
        private volatile double[] parts = new double[1];
        private int partsGiven;

        /** A part of its own for one more series; the metrics thread only. */
        int newPart() {
            return partsGiven++;
        }

        void set(int part, double value) {
            double[] p = parts.length > part ? parts : Arrays.copyOf(parts, part + 1);
            p[part] = value;
            parts = p;
        }

        double get() {
            double sum = 0;
            for (double v : parts) {
                sum += v;
            }
            return sum;
        }
    }

    /** Latest cumulative times of one vCPU thread. */
    private static class VcpuTimes {
        private volatile long runNanos;
        private volatile long waitNanos;

        void update(long run, long wait) {
            runNanos = run;
            waitNanos = wait;
        }

        double runSeconds() {
            return runNanos / 1e9;
        }

        double waitSeconds() {
            return waitNanos / 1e9;
        }
    }
}
