package dev.hvwatch.agent.source.debugfs;

import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.kvmstat.KvmMetric;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KVM statistics from debugfs, the layout {@code kvm_stat -d} reads, for the VMs QMP does not feed (no QMP socket,
 * QEMU before 7.1, or a monitor held by someone else). The kernel keeps, per VM, {@code ROOT/PID-FD/STAT}: one
 * decimal per file, one file per VM statistic and per vCPU statistic, the latter summed over the VM's vCPUs; and
 * {@code ROOT/PID-FD/vcpuN/}, where x86 adds a few per-vCPU values such as {@code guest_mode}.
 *
 * <p>So debugfs gives most per-vCPU statistics only as VM-wide sums. They are published without a {@code vcpu}
 * label, and a statistic a {@code vcpuN} directory does have is published per vCPU instead of its sum: either way
 * {@code sum without (vcpu)} means what it means for a VM fed by QMP. Types and units, which debugfs does not give,
 * are rebuilt by {@link DebugfsStats}.
 *
 * <p>Unreadable debugfs (not mounted, kernel lockdown, not root) is this source being down only while some VM
 * needs it; otherwise it has nothing to do. A file that is not one decimal is counted ({@link #errors}) and
 * logged once per VM.
 */
public final class DebugfsSource implements Source {
    public static final String NAME = "debugfs";

    private static final Logger LOG = LoggerFactory.getLogger(DebugfsSource.class);
    private static final Pattern VM_DIR = Pattern.compile("(\\d+)-(\\d+)");
    private static final Pattern VCPU_DIR = Pattern.compile("vcpu(\\d+)");

    private final Path root;
    private final Supplier<? extends Collection<WatchedVm>> watched;
    private final Batch batch;
    private final KvmStatSeries series;
    private final Predicate<Vm> fedElsewhere;
    /** Enough for a u64 in decimal and its newline, and for telling a longer file malformed. */
    private final byte[] buffer = new byte[64];
    private final Map<String, Optional<KvmMetric>> metrics = new HashMap<>();
    private final List<Path> entries = new ArrayList<>();
    private final Set<String> perVcpuNames = new HashSet<>();
    private final Set<Vm> loggedMalformed = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Vm> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private final LongAdder malformed = new LongAdder();

    /**
     * @param root         the KVM debugfs directory, {@code /sys/kernel/debug/kvm}
     * @param watched      the VMs discovery watches now, e.g. {@code discovery::watched}
     * @param series       shared with the other KVM statistics sources
     * @param fedElsewhere VMs another source feeds or may still feed, e.g. {@code qmp::mayFeed}
     */
    public DebugfsSource(Path root, Supplier<? extends Collection<WatchedVm>> watched, EventRing ring,
                         KvmStatSeries series, Predicate<Vm> fedElsewhere) {
        this.root = root;
        this.watched = watched;
        this.batch = ring.batch();
        this.series = series;
        this.fedElsewhere = fedElsewhere;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void sample(long nowNanos) throws IOException {
        try {
            sampleVms(nowNanos);
        } finally {
            batch.flush();
        }
    }

    private void sampleVms(long nowNanos) throws IOException {
        Collection<WatchedVm> vms = watched.get();
        series.retain(vms);
        live.clear();
        List<Vm> needy = new ArrayList<>();
        for (WatchedVm w : vms) {
            live.add(w.vm());
            if (series.fedBy(w.vm(), NAME) || !fedElsewhere.test(w.vm())) {
                needy.add(w.vm());
            }
        }
        loggedMalformed.retainAll(live);
        if (needy.isEmpty()) {
            return;
        }
        Map<Long, Path> dirs;
        try {
            dirs = vmDirectories();
        } catch (IOException e) {
            throw new IOException("KVM debugfs unreadable at " + root + " (" + e + "), so "
                    + needy.stream().map(Vm::name).toList() + " have no KVM statistics", e);
        }
        for (Vm vm : needy) {
            Path dir = dirs.get(vm.pid());
            if (dir != null && series.claim(vm, NAME)) {
                sampleVm(nowNanos, vm, dir);
            }
        }
    }

    /** Statistic files that could not be read as one decimal number, since start; any thread may ask. */
    public long errors() {
        return malformed.sum();
    }

    /**
     * The directory of each QEMU pid. A process may own several VMs (arm64 QEMU probes the host with a scratch VM);
     * the one created last, with the highest fd, is the guest.
     */
    private Map<Long, Path> vmDirectories() throws IOException {
        Map<Long, Path> dirs = new HashMap<>();
        Map<Long, Long> fds = new HashMap<>();
        try (DirectoryStream<Path> all = Files.newDirectoryStream(root)) {
            for (Path p : all) {
                Matcher m = VM_DIR.matcher(p.getFileName().toString());
                if (!m.matches()) {
                    continue; // host-wide totals beside the VM directories
                }
                long pid = Long.parseLong(m.group(1));
                long fd = Long.parseLong(m.group(2));
                if (fd >= fds.getOrDefault(pid, -1L)) {
                    fds.put(pid, fd);
                    dirs.put(pid, p);
                }
            }
        }
        return dirs;
    }

    private void sampleVm(long nowNanos, Vm vm, Path dir) throws IOException {
        entries.clear();
        try (DirectoryStream<Path> all = Files.newDirectoryStream(dir)) {
            all.forEach(entries::add);
        } catch (NoSuchFileException exited) {
            return; // the VM ended after the listing; discovery notices next round
        }
        perVcpuNames.clear();
        for (Path entry : entries) {
            Matcher m = VCPU_DIR.matcher(entry.getFileName().toString());
            if (m.matches() && Files.isDirectory(entry)) {
                sampleDirectory(nowNanos, vm, entry, Integer.parseInt(m.group(1)));
            }
        }
        for (Path entry : entries) {
            String name = entry.getFileName().toString();
            if (!perVcpuNames.contains(name)) {
                sampleFile(nowNanos, vm, entry, -1);
            }
        }
    }

    private void sampleDirectory(long nowNanos, Vm vm, Path vcpuDir, int vcpu) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(vcpuDir)) {
            for (Path file : files) {
                if (sampleFile(nowNanos, vm, file, vcpu)) {
                    perVcpuNames.add(file.getFileName().toString());
                }
            }
        } catch (NoSuchFileException exited) {
            // The vCPU or VM went away meanwhile.
        }
    }

    /** @return whether the file holds an exported statistic, readable or not */
    private boolean sampleFile(long nowNanos, Vm vm, Path file, int vcpu) {
        String name = file.getFileName().toString();
        if (!DebugfsStats.isStatistic(name)) {
            return false;
        }
        double value;
        KvmMetric metric;
        try {
            metric = metricOf(name, file);
            if (metric == null) {
                return false;
            }
            int length;
            try (InputStream in = Files.newInputStream(file)) {
                length = in.readNBytes(buffer, 0, buffer.length);
            }
            value = parseDecimal(length);
            if (Double.isNaN(value)) {
                malformed(vm, file, "expected one decimal number, got '"
                        + new String(buffer, 0, Math.min(length, 40), StandardCharsets.US_ASCII).strip() + "'");
                return true;
            }
        } catch (NoSuchFileException exited) {
            return true; // the VM or vCPU ended meanwhile
        } catch (IOException e) {
            malformed(vm, file, e.toString());
            return true;
        }
        batch.sample(nowNanos, vm, vcpu, series.series(vm, vcpu, metric), value * metric.scale());
        return true;
    }

    /** The metric of a statistic file, worked out on first sight of its name; null if it is not exported. */
    private KvmMetric metricOf(String name, Path file) throws IOException {
        Optional<KvmMetric> metric = metrics.get(name);
        if (metric == null) {
            if (!Files.isRegularFile(file)) {
                return null; // not remembered: a directory that happens to look like a statistic name
            }
            boolean readOnly = !Files.getPosixFilePermissions(file).contains(PosixFilePermission.OWNER_WRITE);
            metric = DebugfsStats.metric(name, readOnly);
            metrics.put(name, metric);
        }
        return metric.orElse(null);
    }

    private void malformed(Vm vm, Path file, String what) {
        malformed.increment();
        if (loggedMalformed.add(vm)) {
            LOG.warn("{}: {} (further bad files of VM {} are counted, not logged)", file, what, vm.describe());
        }
    }

    /** The buffer's unsigned decimal and optional newline, or NaN if that is not all it holds. */
    private double parseDecimal(int length) {
        int end = length > 0 && buffer[length - 1] == '\n' ? length - 1 : length;
        if (end == 0 || end > 20 || length == buffer.length) {
            return Double.NaN;
        }
        double value = 0;
        for (int i = 0; i < end; i++) {
            byte b = buffer[i];
            if (b < '0' || b > '9') {
                return Double.NaN;
            }
            value = value * 10 + (b - '0');
        }
        return value;
    }
}
