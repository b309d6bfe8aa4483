package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.source.discovery.TenantSource;
import dev.hvwatch.agent.source.discovery.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import dev.hvwatch.agent.source.libvirt.DomainMetric.Group;
import dev.hvwatch.nativebind.CStrings;
import dev.hvwatch.nativebind.DomainStatsRecords;
import dev.hvwatch.nativebind.LibC;
import dev.hvwatch.nativebind.Libvirt;
import dev.hvwatch.nativebind.TypedParameters;
import dev.hvwatch.protocol.Backoff;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import jnr.ffi.Pointer;
import jnr.ffi.byref.PointerByReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.xml.sax.SAXException;

/**
 * libvirt's VMs through libvirt itself, over one read-only connection ({@code libvirt.uri}): each round one
 * {@code virConnectGetAllDomainStats} call returns every running domain's statistics — the KVM binary statistics
 * (published as the very series QMP's give, see {@link StatField}), disks, network interfaces, balloon, state and CPU
 * time — with {@code NOWAIT}, so a domain busy in a job costs the round nothing (what it leaves out is counted as
 * skipped). Domain events (lifecycle, reboot, device added and removed, metadata change, job and block-job completion)
 * become lifecycle notices, and each domain's tenant is read from its XML (OpenStack Nova's metadata and the title)
 * when discovery finds it and again when its metadata changes.
 *
 * <p>libvirt owns the monitor of its VMs, so this is the only way to their KVM statistics that taints nothing. A VM is
 * matched to its domain by UUID.
 *
 * <p>A daemon that is not installed, not running, restarted or refusing makes this source down, with the reason
 * (thrown from {@link #sample}); it reconnects with backoff while every other source goes on.
 */
public final class LibvirtSource implements Source, TenantSource, AutoCloseable {
    public static final String NAME = "libvirt";
    /** The {@code stage} label of domain events dropped between rounds. */
    public static final String EVENTS_STAGE = "libvirt-events";

    private static final Logger LOG = LoggerFactory.getLogger(LibvirtSource.class);
    private static final int STATS = Libvirt.STATS_STATE | Libvirt.STATS_CPU_TOTAL | Libvirt.STATS_BALLOON
            | Libvirt.STATS_VCPU | Libvirt.STATS_INTERFACE | Libvirt.STATS_BLOCK | Libvirt.STATS_VM;
    private static final int FLAGS = Libvirt.GET_ALL_DOMAINS_STATS_ACTIVE | Libvirt.GET_ALL_DOMAINS_STATS_NOWAIT;
    /** Rounds an event waits for discovery to see the VM it names (a domain that just arrived) before it is
     * reported without one. */
    private static final int EVENT_PATIENCE_ROUNDS = 3;
    /** libvirtd's read-only socket (monolithic daemon) or virtqemud's (modular daemons), under /run/libvirt. */
    private static final List<String> SYSTEM_SOCKETS = List.of("libvirt-sock-ro", "virtqemud-sock-ro");
    /** Stopped VMs remembered for the stop events that name them after discovery saw them go. */
    private static final int RECENTLY_STOPPED = 64;
    /** A domain's XML is a few KiB; more than this is not libvirt's. */
    private static final int MAX_DOMAIN_XML = 4 << 20;

    private final String uri;
    private final Supplier<? extends Collection<WatchedVm>> watched;
    private final EventRing ring;
    private final KvmStatSeries kvm;
    private final Batch batch;
    private final LibvirtCounters counters = new LibvirtCounters();
    private final Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    private final Libvirt libvirt;
    private final String unavailable;
    private final List<DomainStats> domains = new ArrayList<>();
    private final List<Vm> recentlyStopped = new ArrayList<>();
    private final Set<Vm> tenantsToRead = new LinkedHashSet<>();
    private final List<Pending> pendingEvents = new ArrayList<>();
    private final List<DomainEvent> arrived = new ArrayList<>();
    /** Reused each round so that telling stopped VMs apart allocates nothing. */
    private final Set<Vm> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private final PointerByReference records = new PointerByReference();
    private final DomainStatsRecords recordView;
    private final TypedParameters params = new TypedParameters();
    private final byte[] uuid = new byte[Libvirt.UUID_BUFLEN];
    private LibvirtConnection connection;
    private String downBecause = "not connected yet";
    private long retryAtNanos;
    private volatile boolean connected;

    /**
     * @param uri     libvirt's connection URI, e.g. {@code qemu:///system}
     * @param watched the VMs discovery watches now, e.g. {@code discovery::watched}
     * @param kvm     shared with the other KVM statistics sources
     */
    public LibvirtSource(String uri, Supplier<? extends Collection<WatchedVm>> watched, EventRing ring,
                         KvmStatSeries kvm) {
        this.uri = uri;
        this.watched = watched;
        this.ring = ring;
        this.kvm = kvm;
        this.batch = ring.batch();
        Libvirt loaded = null;
        String why = null;
        try {
            loaded = LibvirtLibrary.load();
        } catch (LinkageError e) {
            why = "libvirt's library (libvirt.so.0) is not installed: " + e.getMessage();
        }
        this.libvirt = loaded;
        this.unavailable = why;
        this.recordView = new DomainStatsRecords(loaded == null ? 8 : Libvirt.runtime().addressSize());
    }

    /**
     * Whether the agent runs this source: {@code true} always (a missing library or daemon makes it down, saying why),
     * {@code false} never, {@code auto} where libvirt's library is installed and, for the system URI, its daemon's
     * socket exists — so that a plain-QEMU host with only libvirt's client tools has no source forever down.
     */
    public static boolean wanted(String enabled, String uri, Path runLibvirt) {
        return switch (enabled) {
            case "true" -> true;
            case "false" -> false;
            default -> libraryInstalled() && (!uri.startsWith("qemu:///system")
                    || SYSTEM_SOCKETS.stream().anyMatch(s -> Files.exists(runLibvirt.resolve(s))));
        };
    }

    private static boolean libraryInstalled() {
        try {
            LibvirtLibrary.load();
            return true;
        } catch (LinkageError e) {
            return false;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void sample(long nowNanos) throws IOException {
        Collection<WatchedVm> vms = watched.get();
        kvm.retain(vms);
        forgetStopped(vms);
        ensureConnected(nowNanos);
        try {
            readTenants();
            deliverEvents(nowNanos, vms);
            readStatistics(nowNanos, vms);
        } catch (IOException e) {
            if (!connection.alive()) {
                lose(nowNanos, connection.deadBecause());
            }
            throw e;
        }
    }

    /**
     * Reads the tenant of a VM libvirt runs, from its domain's XML; while libvirtd is away, the VM waits for the next
     * connection. Sampling thread only (discovery calls it in the same round).
     */
    @Override
    public void lookUp(Vm vm) {
        if (!vm.managedByLibvirt() || vm.uuid().isEmpty()) {
            return;
        }
        if (connection == null) {
            tenantsToRead.add(vm);
            return;
        }
        readTenant(vm);
    }

    /**
     * Whether this source feeds the VM's KVM statistics, or may once libvirtd answers: the debugfs source leaves such a
     * VM alone. False for plain QEMU and where libvirt was seen to have no KVM statistics (libvirt before 8.9 or QEMU
     * before 7.1). Sampling thread only.
     */
    public boolean mayFeed(Vm vm) {
        if (!vm.managedByLibvirt() || libvirt == null) {
            return false;
        }
        DomainStats d = statsOf(vm);
        return d == null || !d.lacksKvmStatistics();
    }

    /** Whether the source is connected to libvirtd now; any thread may ask. */
    public boolean connected() {
        return connected;
    }

    /** Statistics libvirt's records had that could not be used, since start; any thread may ask. */
    public long errors() {
        return counters.errors();
    }

    /** Times a domain's record lacked a group it had before ({@code NOWAIT} while a job held the domain). */
    public long skipped(Group group) {
        return counters.skipped(group);
    }

    /** Domain events dropped because more arrived between two rounds than the queue holds. */
    public long eventsDropped() {
        return counters.eventsDropped();
    }

    @Override
    public void close() {
        if (connection != null) {
            connection.close();
            connection = null;
            connected = false;
        }
    }

    private void ensureConnected(long nowNanos) throws IOException {
        if (unavailable != null) {
            throw new IOException(unavailable);
        }
        if (connection != null && connection.alive()) {
            return;
        }
        if (connection != null) {
            lose(nowNanos, connection.deadBecause());
        }
        if (nowNanos < retryAtNanos) {
            throw new IOException(downBecause);
        }
        try {
            connection = LibvirtConnection.open(libvirt, uri, counters);
        } catch (IOException e) {
            downBecause = e.getMessage();
            retryAtNanos = nowNanos + backoff.next().toNanos();
            throw e;
        }
        backoff.reset();
        connected = true;
        LOG.info("libvirt: connected read-only to {}", uri);
        // Whatever changed while we were away: every VM's tenant is read again.
        for (WatchedVm w : watched.get()) {
            if (w.vm().managedByLibvirt()) {
                tenantsToRead.add(w.vm());
            }
        }
    }

    private void lose(long nowNanos, String why) {
        connection.close();
        connection = null;
        connected = false;
        downBecause = "lost libvirt at " + uri + ": " + why + "; reconnecting";
        retryAtNanos = nowNanos + backoff.next().toNanos();
    }

    private void readTenants() {
        for (Iterator<Vm> it = tenantsToRead.iterator(); it.hasNext(); ) {
            readTenant(it.next());
            it.remove();
        }
    }

    private void readTenant(Vm vm) {
        Pointer dom = libvirt.virDomainLookupByUUIDString(connection.pointer(), vm.uuid());
        if (dom == null) {
            if (libvirt.virGetLastErrorCode() != Libvirt.ERR_NO_DOMAIN) {
                counters.error("cannot look the domain up: " + libvirt.virGetLastErrorMessage(), vm);
            }
            return; // no such domain: a QEMU libvirt did not start, or one already gone
        }
        try {
            Pointer xml = libvirt.virDomainGetXMLDesc(dom, 0);
            if (xml == null) {
                counters.error("cannot read the domain's XML: " + libvirt.virGetLastErrorMessage(), vm);
                return;
            }
            String text;
            try {
                text = CStrings.read(xml, MAX_DOMAIN_XML);
            } finally {
                LibC.load().free(xml);
            }
            Document doc = DomainXml.parse(text);
            vm.tenancy().set(NovaMetadata.of(doc.getDocumentElement()));
        } catch (SAXException e) {
            counters.error("malformed domain XML: " + e.getMessage(), vm);
        } finally {
            libvirt.virDomainFree(dom);
        }
    }

    private void deliverEvents(long nowNanos, Collection<WatchedVm> vms) {
        arrived.clear();
        connection.events().drainTo(arrived);
        for (DomainEvent e : arrived) {
            pendingEvents.add(new Pending(e));
        }
        for (Iterator<Pending> it = pendingEvents.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            Vm vm = vmWithUuid(vms, p.event.uuid());
            boolean waitForVm = vm == null && DomainEventNotices.needsRunningVm(p.event)
                    && ++p.rounds < EVENT_PATIENCE_ROUNDS;
            if (waitForVm) {
                continue;
            }
            it.remove();
            if (vm != null && DomainEventNotices.mayChangeTenant(p.event)) {
                readTenant(vm);
            }
            Notice notice = DomainEventNotices.of(p.event, vm != null ? vm.name() : p.event.domain());
            if (notice != null) {
                ring.publishNotice(nowNanos, vm, notice);
            }
        }
    }

    private void readStatistics(long nowNanos, Collection<WatchedVm> vms) throws IOException {
        int n = libvirt.virConnectGetAllDomainStats(connection.pointer(), STATS, records, FLAGS);
        if (n < 0) {
            throw new IOException("virConnectGetAllDomainStats failed: " + libvirt.virGetLastErrorMessage());
        }
        Pointer list = records.getValue();
        try {
            recordView.reset(list, n);
            for (int i = 0; i < n; i++) {
                DomainStats d = domainOf(recordView.domain(i), vms);
                if (d != null) {
                    params.reset(recordView.params(i), Math.max(0, recordView.paramCount(i)));
                    d.publish(params, nowNanos, batch, kvm);
                }
            }
        } finally {
            batch.flush();
            if (list != null) {
                libvirt.virDomainStatsRecordListFree(list);
            }
        }
    }

    /** The statistics state of a record's domain; null for a domain discovery has not matched to a VM (yet). */
    private DomainStats domainOf(Pointer dom, Collection<WatchedVm> vms) {
        if (libvirt.virDomainGetUUID(dom, uuid) != 0) {
            counters.error("a domain without a UUID: " + libvirt.virGetLastErrorMessage(), null);
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(uuid);
        long high = b.getLong(0);
        long low = b.getLong(8);
        for (int i = 0; i < domains.size(); i++) {
            if (domains.get(i).is(high, low)) {
                return domains.get(i);
            }
        }
        Vm vm = vmWithUuid(vms, new UUID(high, low).toString());
        if (vm == null) {
            return null;
        }
        DomainStats d = new DomainStats(vm, high, low, counters);
        domains.add(d);
        return d;
    }

    private DomainStats statsOf(Vm vm) {
        for (DomainStats d : domains) {
            if (d.vm() == vm) {
                return d;
            }
        }
        return null;
    }

    /** A watched libvirt VM with this UUID, or one that stopped in the last rounds (whose stop event may follow). */
    private Vm vmWithUuid(Collection<WatchedVm> vms, String id) {
        for (WatchedVm w : vms) {
            if (w.vm().managedByLibvirt() && w.vm().uuid().equalsIgnoreCase(id)) {
                return w.vm();
            }
        }
        for (Vm vm : recentlyStopped) {
            if (vm.uuid().equalsIgnoreCase(id)) {
                return vm;
            }
        }
        return null;
    }

    /** Drops the state of VMs discovery no longer watches, keeping them a few rounds for their stop events. */
    private void forgetStopped(Collection<WatchedVm> vms) {
        live.clear();
        for (WatchedVm w : vms) {
            live.add(w.vm());
        }
        for (int i = domains.size() - 1; i >= 0; i--) {
            Vm vm = domains.get(i).vm();
            if (!live.contains(vm)) {
                domains.remove(i);
                recentlyStopped.add(vm);
            }
        }
        while (recentlyStopped.size() > RECENTLY_STOPPED) {
            recentlyStopped.remove(0);
        }
        if (!tenantsToRead.isEmpty()) {
            tenantsToRead.retainAll(live);
        }
    }

    /** An event and the rounds it has waited for its VM. */
    private static final class Pending {
        final DomainEvent event;
        int rounds;

        Pending(DomainEvent event) {
            this.event = event;
        }
    }
}
