package dev.hvwatch.agent.source.qmp;

import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.source.Source;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * KVM statistics and VM events through each VM's QMP monitor (QEMU 7.1 or later for statistics): the kernel's binary
 * statistics, which only the process owning the VM can read, relayed by QEMU with their self-describing schema
 * ({@code query-stats}, {@code query-stats-schemas}), published per the naming rule of
 * {@link dev.hvwatch.agent.source.kvmstat.KvmMetric}; and SHUTDOWN, STOP, RESUME, device hot-plug and unplug as
 * notices.
 *
 * <p>The socket of a VM is a configured path that VM listens on (see {@link ExtraSockets}), else the one its
 * command line names, unless that is libvirt's ({@link CommandLineSocket}: libvirt's VMs are read through libvirt,
 * agent.source.libvirt). A configured socket wins: it is one the
 * operator set aside for hvwatch, while the command line's may be someone else's.
 *
 * <p>One connection per VM stays open between rounds, since QEMU sends events only to a connected client, and is
 * closed when the VM stops. As QEMU serves one client per monitor, hvwatch holds that monitor: give it a socket of
 * its own (QEMU takes several {@code -qmp}). Failures are counted by reason ({@link #errors}), logged once per
 * outage, never thrown: one broken VM must not cost the others their round. A busy monitor costs a round at most
 * {@value QmpSession#GREETING_WAIT_MILLIS} ms per attempt, and attempts back off.
 */
public final class QmpSource implements Source, AutoCloseable {
    /** The source name, and how {@link KvmStatSeries} knows that QMP feeds a VM. */
    public static final String NAME = "qmp";

    private static final Logger LOG = LoggerFactory.getLogger(QmpSource.class);

    private final Supplier<? extends Collection<WatchedVm>> watched;
    private final EventRing ring;
    private final KvmStatSeries series;
    private final Path procRoot;
    private final ExtraSockets extraSockets;
    private final ProcNetUnix sockets;
    private final long timeoutNanos;
    private final QmpErrors errors = new QmpErrors();
    private final Map<Vm, QmpSession> sessions = new IdentityHashMap<>();
    private final Set<Vm> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean extraSocketsFailureLogged;
    private volatile int openConnections;

    /**
     * @param watched      the VMs discovery watches now, e.g. {@code discovery::watched}
     * @param series       shared with the other KVM statistics sources
     * @param procRoot     where proc is mounted, for matching {@code extraSockets} and relative socket paths
     * @param extraSockets QMP sockets besides those the QEMU command lines name
     * @param timeout      how long to wait for QEMU's greeting or for a reply
     */
    public QmpSource(Supplier<? extends Collection<WatchedVm>> watched, EventRing ring, KvmStatSeries series,
                     Path procRoot, List<Path> extraSockets, Duration timeout) {
        this.watched = watched;
        this.ring = ring;
        this.series = series;
        this.procRoot = procRoot;
        this.extraSockets = new ExtraSockets(procRoot, extraSockets);
        this.sockets = new ProcNetUnix(procRoot);
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void sample(long nowNanos) {
        Collection<WatchedVm> vms = watched.get();
        series.retain(vms);
        closeSessionsOfStoppedVms(vms);
        try {
            extraSockets.refresh(vms);
            extraSocketsFailureLogged = false;
        } catch (IOException e) {
            errors.count(QmpError.IO);
            if (!extraSocketsFailureLogged) {
                LOG.warn("cannot match configured QMP sockets to VMs: {} (logged once until it works)", e.toString());
                extraSocketsFailureLogged = true;
            }
        }
        int open = 0;
        for (WatchedVm w : vms) {
            QmpSession session = sessionFor(w.vm());
            if (session != null) {
                session.sample(nowNanos);
                open += session.connected() ? 1 : 0;
            }
        }
        openConnections = open;
    }

    /**
     * Whether QMP feeds the VM's KVM statistics, or may still: other sources leave such a VM alone. False for a VM
     * without a QMP socket, with a QEMU that has no statistics, or whose monitor stayed out of reach for its first
     * {@value QmpSession#GRACE_ROUNDS} rounds. Sampling thread only, after this source's round.
     */
    public boolean mayFeed(Vm vm) {
        QmpSession session = sessions.get(vm);
        return session != null && session.mayFeed();
    }

    /** Failed QMP exchanges for this reason, since start; any thread may ask. */
    public long errors(QmpError reason) {
        return errors.get(reason);
    }

    /** Connections open after the latest round (including ones waiting for a busy monitor); any thread may ask. */
    public int openConnections() {
        return openConnections;
    }

    /** Closes every connection; call after the sampler has stopped. */
    @Override
    public void close() {
        sessions.values().forEach(QmpSession::close);
        sessions.clear();
        openConnections = 0;
    }

    /** The VM's session on its current socket, or null if it has none; a changed socket starts a new session. */
    private QmpSession sessionFor(Vm vm) {
        Path socket = socketOf(vm);
        QmpSession session = sessions.get(vm);
        if (session != null && !session.socket().equals(socket)) {
            session.close();
            sessions.remove(vm);
            session = null;
        }
        if (session == null && socket != null) {
            session = new QmpSession(vm, socket, sockets, ring, series, errors, timeoutNanos);
            sessions.put(vm, session);
        }
        return session;
    }

    private Path socketOf(Vm vm) {
        Path configured = extraSockets.socketOf(vm);
        if (configured != null) {
            return configured;
        }
        return CommandLineSocket.of(vm, procRoot).orElse(null);
    }

    private void closeSessionsOfStoppedVms(Collection<WatchedVm> vms) {
        live.clear();
        for (WatchedVm w : vms) {
            live.add(w.vm());
        }
        for (Iterator<Map.Entry<Vm, QmpSession>> it = sessions.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Vm, QmpSession> e = it.next();
            if (!live.contains(e.getKey())) {
                e.getValue().close();
                it.remove();
            }
        }
    }
}
