package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.source.discovery.TenantSource;
import dev.hvwatch.agent.vm.Vm;
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
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
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
 * time. Domain events (lifecycle, reboot, device added and removed, metadata change, job and block-job completion)
 * become lifecycle notices, and each domain's tenant is read from its XML (OpenStack Nova's metadata and the title)
 * when discovery finds it and again when its metadata changes. A VM is matched to its domain by UUID.
 *
 * <h2>A starved QEMU must not stall the others</h2>
 * libvirt asks each domain's QEMU over its monitor, and a starved QEMU answers late: on this project's test host one
 * call took 8.3 s with a guest at 2 CPU shares against 1024, and over 30 s against 2048 — the very guest whose
 * starvation hvwatch must keep seeing. So the calls run on libvirt threads of their own, never waited for by the
 * sampler, up to {@value #CALLS_IN_FLIGHT} at once: while one waits for a starved QEMU, the next round's call finds that
 * domain busy in its job and, with {@code NOWAIT}, leaves out what needs its monitor (counted as skipped) instead of
 * waiting too; every other domain's statistics stay fresh. A round that finds every call still running starts none and
 * counts an overrun. Records are decoded on the thread that fetched them and published on the sampling thread in its
 * next round, after discovery, so that nothing is published for a VM discovery has seen stop; a record older than what
 * was published is not published (see {@link DomainStats}). Events and tenant reads, which libvirtd answers from its
 * own state, stay on the sampling thread.
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
    /** Statistics calls that may wait on libvirt at once: one stuck on a starved QEMU, and one that goes past it. */
    static final int CALLS_IN_FLIGHT = 2;
    /** libvirtd's read-only socket (monolithic daemon) or virtqemud's (modular daemons), under /run/libvirt. */
    private static final List<String> SYSTEM_SOCKETS = List.of("libvirt-sock-ro", "virtqemud-sock-ro");
    /**
     * Rounds an event waits for discovery to see the VM it names (a domain that just arrived) before it is reported
     * without one.
     */
    private static final int EVENT_PATIENCE_ROUNDS = 3;
    /** Stopped VMs remembered for the stop events that name them after discovery saw them go. */
    private static final int RECENTLY_STOPPED = 64;
    /** Events queued at most between two rounds; beyond that they are dropped and counted. */
    private static final int EVENT_QUEUE = 4096;
    private static final Duration FIRST_ROUND_WAIT = Duration.ofSeconds(2);
    /** A domain's XML is a few KiB; more than this is not libvirt's. */
    private static final int MAX_DOMAIN_XML = 4 << 20;

    private final String uri;
    private final Supplier<? extends Collection<WatchedVm>> watched;
    private final EventRing ring;
    private final KvmStatSeries kvm;
    private final LibvirtCounters counters = new LibvirtCounters();
    private final Libvirt libvirt;
    private final String unavailable;
    private final BlockingQueue<DomainEvent> events = new ArrayBlockingQueue<>(EVENT_QUEUE);
    private final ExecutorService calls;
    /** Held to use the connection, and exclusively to replace or close it. */
    private final ReadWriteLock connectionLock = new ReentrantReadWriteLock();
    private final Object connecting = new Object();
    private final Set<Vm> tenantsToRead = ConcurrentHashMap.newKeySet();
    private final List<DomainStats> domains = new CopyOnWriteArrayList<>();
    private final Queue<List<RecordDecoder.Decoded>> fetched = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong overruns = new AtomicLong();
    private final ThreadLocal<RecordDecoder> decoders;
    private final ThreadLocal<LibvirtCall> perThread;
    private volatile LibvirtConnection connection;
    private volatile String downBecause = "not connected yet";
    private volatile boolean connected;
    private volatile long retryAtNanos;
    private final Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));

    // The sampling thread's.
    private final Batch batch;
    private final List<Pending> pendingEvents = new ArrayList<>();
    private final List<DomainEvent> arrived = new ArrayList<>();
    private final List<Vm> recentlyStopped = new ArrayList<>();
    private final Map<Vm, DomainStats> published = new IdentityHashMap<>();
    /** Reused each round so that telling stopped VMs apart allocates nothing. */
    private final Set<Vm> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Vm> libvirtVmsLastRound = Collections.newSetFromMap(new IdentityHashMap<>());
    private Future<?> firstRound;
    private boolean started;

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
        AtomicInteger threads = new AtomicInteger();
        this.calls = Executors.newFixedThreadPool(CALLS_IN_FLIGHT, r -> {
            Thread t = new Thread(r, "hvwatch-libvirt-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.decoders = ThreadLocal.withInitial(() -> new RecordDecoder(counters));
        int addressSize = loaded == null ? 8 : Libvirt.runtime().addressSize();
        this.perThread = ThreadLocal.withInitial(() -> new LibvirtCall(addressSize));
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

    /**
     * Publishes the statistics the libvirt threads fetched since the last round and starts the next call, delivers
     * the domain events that arrived, and throws while libvirt is out of reach, saying why.
     */
    @Override
    public void sample(long nowNanos) throws IOException {
        if (unavailable != null) {
            throw new IOException(unavailable);
        }
        Collection<WatchedVm> vms = watched.get();
        kvm.retain(vms);
        noteStopped(vms);
        deliverEvents(nowNanos, vms);
        publishFetched();
        if (inFlight.get() < CALLS_IN_FLIGHT) {
            List<Vm> snapshot = new ArrayList<>();
            for (WatchedVm w : vms) {
                if (w.vm().managedByLibvirt()) {
                    snapshot.add(w.vm());
                }
            }
            inFlight.incrementAndGet();
            Future<?> call = calls.submit(() -> fetch(nowNanos, snapshot));
            if (!started) {
                started = true;
                firstRound = call;
                awaitFirstRound();
            }
        } else {
            overruns.incrementAndGet();
        }
        String down = downBecause;
        if (down != null) {
            throw new IOException(down);
        }
    }

    /**
     * Reads the tenant of a VM libvirt runs, from its domain's XML, before discovery announces it; while libvirtd is
     * away, the VM waits for the next connection. Sampling thread only.
     */
    @Override
    public void lookUp(Vm vm) {
        if (!vm.managedByLibvirt() || vm.uuid().isEmpty() || libvirt == null) {
            return;
        }
        connectionLock.readLock().lock();
        try {
            LibvirtConnection c = connection;
            if (c != null && c.alive()) {
                readTenant(c, vm);
            } else {
                tenantsToRead.add(vm);
            }
        } finally {
            connectionLock.readLock().unlock();
        }
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
        DomainStats d = published.get(vm);
        return d == null || !d.lacksKvmStatistics();
    }

    /** Whether the source is connected to libvirtd now; any thread may ask. */
    public boolean connected() {
        return connected;
    }

    /** Statistics and answers from libvirt that could not be used, since start; any thread may ask. */
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

    /** Sampling rounds that found every statistics call still waiting on libvirt, and so started none. */
    public long overruns() {
        return overruns.get();
    }

    @Override
    public void close() {
        calls.shutdownNow();
        try {
            if (!calls.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("libvirt: a statistics call is still waiting on libvirt at shutdown; its connection is left "
                        + "open");
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        replaceConnection(null);
        connected = false;
    }

    /** The first call is waited for, briefly, so that the agent starts knowing whether libvirt answers. */
    private void awaitFirstRound() {
        try {
            firstRound.get(FIRST_ROUND_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException slowOrFailed) {
            // reported by the rounds that follow
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void publishFetched() {
        try {
            for (List<RecordDecoder.Decoded> round = fetched.poll(); round != null; round = fetched.poll()) {
                for (RecordDecoder.Decoded record : round) {
                    Vm vm = record.domain.vm();
                    if (live.contains(vm)) {
                        published.put(vm, record.domain);
                        record.domain.publish(record, batch, kvm);
                    }
                }
            }
        } finally {
            batch.flush();
        }
    }

    /** One call on a libvirt thread: connect if need be, read pending tenants, fetch and decode every record. */
    private void fetch(long nowNanos, List<Vm> vms) {
        LibvirtConnection c = null;
        boolean lost = false;
        try {
            c = ensureConnected(nowNanos, vms);
            if (c == null) {
                return;
            }
            connectionLock.readLock().lock();
            try {
                if (connection != c) {
                    return; // replaced while we waited
                }
                readPendingTenants(c, vms);
                fetched.add(readStatistics(c, nowNanos, vms));
                downBecause = null;
            } catch (IOException e) {
                lost = !c.alive();
                downBecause = e.getMessage();
            } finally {
                connectionLock.readLock().unlock();
            }
        } catch (RuntimeException e) {
            counters.error("a statistics call failed: " + e, null);
            downBecause = "a statistics call failed: " + e;
        } finally {
            if (lost) {
                lose(nowNanos, c);
            }
            inFlight.decrementAndGet();
        }
    }

    /** The connection, opened first if need be; null while libvirt is out of reach (the reason is kept). */
    private LibvirtConnection ensureConnected(long nowNanos, List<Vm> vms) {
        synchronized (connecting) {
            LibvirtConnection c = connection;
            if (c != null && c.alive()) {
                return c;
            }
            if (c != null) {
                lose(nowNanos, c);
            }
            if (nowNanos < retryAtNanos) {
                return null;
            }
            try {
                c = LibvirtConnection.open(libvirt, uri, events, counters);
            } catch (IOException e) {
                downBecause = e.getMessage();
                retryAtNanos = nowNanos + backoff.next().toNanos();
                return null;
            }
            replaceConnection(c);
            backoff.reset();
            connected = true;
            downBecause = null;
            LOG.info("libvirt: connected read-only to {}", uri);
            tenantsToRead.addAll(vms); // whatever changed while we were away
            return c;
        }
    }

    /** Drops a dead connection, once, whichever thread found it dead. */
    private void lose(long nowNanos, LibvirtConnection dead) {
        synchronized (connecting) {
            if (connection != dead) {
                return;
            }
            replaceConnection(null);
            connected = false;
            downBecause = "lost libvirt at " + uri + ": " + dead.deadBecause() + "; reconnecting";
            retryAtNanos = nowNanos + backoff.next().toNanos();
        }
    }

    private void replaceConnection(LibvirtConnection next) {
        connectionLock.writeLock().lock();
        try {
            if (connection != null) {
                connection.close();
            }
            connection = next;
        } finally {
            connectionLock.writeLock().unlock();
        }
    }

    private void readPendingTenants(LibvirtConnection c, List<Vm> vms) {
        for (Iterator<Vm> it = tenantsToRead.iterator(); it.hasNext(); ) {
            Vm vm = it.next();
            if (vms.contains(vm)) {
                readTenant(c, vm);
            }
            it.remove();
        }
    }

    /** Sets the VM's tenant from its domain's XML; the caller holds the connection's read lock. */
    private void readTenant(LibvirtConnection c, Vm vm) {
        Pointer dom = libvirt.virDomainLookupByUUIDString(c.pointer(), vm.uuid());
        if (dom == null) {
            counters.error(libvirt.virGetLastErrorCode() == Libvirt.ERR_NO_DOMAIN
                    ? "the domain vanished before its tenant was read"
                    : "cannot look the domain up: " + libvirt.virGetLastErrorMessage(), vm);
            return;
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

    /** One {@code virConnectGetAllDomainStats} call, its records decoded before libvirt's list is freed. */
    private List<RecordDecoder.Decoded> readStatistics(LibvirtConnection c, long nowNanos, List<Vm> vms)
            throws IOException {
        LibvirtCall call = perThread.get();
        RecordDecoder decoder = decoders.get();
        decoder.retain(domains);
        int n = libvirt.virConnectGetAllDomainStats(c.pointer(), STATS, call.records, FLAGS);
        if (n < 0) {
            throw new IOException("virConnectGetAllDomainStats failed: " + libvirt.virGetLastErrorMessage());
        }
        Pointer list = call.records.getValue();
        List<RecordDecoder.Decoded> round = new ArrayList<>(n);
        try {
            call.view.reset(list, n);
            for (int i = 0; i < n; i++) {
                DomainStats d = domainOf(call, call.view.domain(i), vms);
                if (d != null) {
                    round.add(decoder.decode(d, call.params.reset(call.view.params(i),
                            Math.max(0, call.view.paramCount(i))), nowNanos));
                }
            }
        } finally {
            if (list != null) {
                libvirt.virDomainStatsRecordListFree(list);
            }
        }
        return round;
    }

    /** The domain of a record; null for one discovery has not matched to a VM (yet). */
    private DomainStats domainOf(LibvirtCall call, Pointer dom, List<Vm> vms) {
        if (libvirt.virDomainGetUUID(dom, call.uuid) != 0) {
            counters.error("a domain without a UUID: " + libvirt.virGetLastErrorMessage(), null);
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(call.uuid);
        long high = b.getLong(0);
        long low = b.getLong(8);
        DomainStats known = findDomain(high, low);
        if (known != null) {
            return known;
        }
        String id = new UUID(high, low).toString();
        for (Vm vm : vms) {
            if (vm.uuid().equalsIgnoreCase(id)) {
                synchronized (domains) {
                    known = findDomain(high, low);
                    if (known == null) {
                        known = new DomainStats(vm, high, low, counters);
                        domains.add(known);
                    }
                    return known;
                }
            }
        }
        return null;
    }

    private DomainStats findDomain(long high, long low) {
        for (DomainStats d : domains) {
            if (d.is(high, low)) {
                return d;
            }
        }
        return null;
    }

    /** Remembers the libvirt VMs that stopped since the last round, for their stop events, and forgets their state. */
    private void noteStopped(Collection<WatchedVm> vms) {
        live.clear();
        for (WatchedVm w : vms) {
            live.add(w.vm());
        }
        for (Iterator<Vm> it = libvirtVmsLastRound.iterator(); it.hasNext(); ) {
            Vm vm = it.next();
            if (!live.contains(vm)) {
                it.remove();
                recentlyStopped.add(vm);
                published.remove(vm);
                tenantsToRead.remove(vm);
                synchronized (domains) {
                    domains.removeIf(d -> d.vm() == vm);
                }
            }
        }
        for (WatchedVm w : vms) {
            if (w.vm().managedByLibvirt()) {
                libvirtVmsLastRound.add(w.vm());
            }
        }
        while (recentlyStopped.size() > RECENTLY_STOPPED) {
            recentlyStopped.remove(0);
        }
    }

    private void deliverEvents(long nowNanos, Collection<WatchedVm> vms) {
        arrived.clear();
        events.drainTo(arrived);
        for (DomainEvent e : arrived) {
            pendingEvents.add(new Pending(e));
        }
        for (Iterator<Pending> it = pendingEvents.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            Vm vm = vmWithUuid(vms, p.event.uuid());
            if (vm == null && DomainEventNotices.needsRunningVm(p.event) && ++p.rounds < EVENT_PATIENCE_ROUNDS) {
                continue;
            }
            it.remove();
            if (vm != null && DomainEventNotices.mayChangeTenant(p.event)) {
                lookUp(vm);
            }
            Notice notice = DomainEventNotices.of(p.event, vm != null ? vm.name() : p.event.domain());
            if (notice != null) {
                ring.publishNotice(nowNanos, vm, notice);
            }
        }
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

    /** What one libvirt thread reuses from call to call. */
    private static final class LibvirtCall {
        final PointerByReference records = new PointerByReference();
        final DomainStatsRecords view;
        final TypedParameters params = new TypedParameters();
        final byte[] uuid = new byte[Libvirt.UUID_BUFLEN];

        LibvirtCall(int addressSize) {
            view = new DomainStatsRecords(addressSize);
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
