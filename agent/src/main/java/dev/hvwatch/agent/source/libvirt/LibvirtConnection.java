package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.nativebind.Libvirt;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import jnr.ffi.Pointer;

/**
 * One read-only connection to libvirtd ({@code virConnectOpenReadOnly}: hvwatch never changes a domain), with the
 * domain events it subscribes to queued for the sampling thread, and keepalives so that a daemon that hangs or dies
 * is noticed within seconds ({@link #alive()}).
 */
final class LibvirtConnection implements AutoCloseable {
    private static final int KEEPALIVE_INTERVAL_SECONDS = 5;
    private static final int KEEPALIVE_COUNT = 3;

    private final Libvirt libvirt;
    private final LibvirtEventLoop loop;
    private final Pointer conn;
    private final String uri;
    private final LibvirtCounters counters;
    private final BlockingQueue<DomainEvent> events;
    private final List<Integer> callbackIds = new ArrayList<>();
    private volatile String closedBecause;

    private LibvirtConnection(Libvirt libvirt, LibvirtEventLoop loop, Pointer conn, String uri,
                              BlockingQueue<DomainEvent> events, LibvirtCounters counters) {
        this.libvirt = libvirt;
        this.loop = loop;
        this.conn = conn;
        this.uri = uri;
        this.events = events;
        this.counters = counters;
    }

    /**
     * Connects and subscribes; the caller closes.
     *
     * @param events where the domain events go, whichever connection delivers them
     */
    static LibvirtConnection open(Libvirt libvirt, String uri, BlockingQueue<DomainEvent> events,
                                  LibvirtCounters counters) throws IOException {
        LibvirtEventLoop loop = LibvirtEventLoop.get(libvirt);
        Pointer conn = libvirt.virConnectOpenReadOnly(uri);
        if (conn == null) {
            throw new IOException("cannot connect to libvirt at " + uri + ": " + libvirt.virGetLastErrorMessage());
        }
        LibvirtConnection c = new LibvirtConnection(libvirt, loop, conn, uri, events, counters);
        loop.attach(c);
        try {
            c.subscribe();
        } catch (IOException e) {
            c.close();
            throw e;
        }
        return c;
    }

    private void subscribe() throws IOException {
        // Keepalive fails only on drivers that run in-process (test:///); there is no daemon to lose then.
        libvirt.virConnectSetKeepAlive(conn, KEEPALIVE_INTERVAL_SECONDS, KEEPALIVE_COUNT);
        if (libvirt.virConnectRegisterCloseCallback(conn, loop.onClose, null, null) < 0) {
            throw failure("register for the connection's close");
        }
        register(Libvirt.EVENT_ID_LIFECYCLE, libvirt.virConnectDomainEventRegisterAny(conn, null,
                Libvirt.EVENT_ID_LIFECYCLE, loop.onLifecycle, null, null));
        register(Libvirt.EVENT_ID_REBOOT, libvirt.virConnectDomainEventRegisterAny(conn, null,
                Libvirt.EVENT_ID_REBOOT, loop.onReboot, null, null));
        register(Libvirt.EVENT_ID_DEVICE_ADDED, libvirt.virConnectDomainEventRegisterAny(conn, null,
                Libvirt.EVENT_ID_DEVICE_ADDED, loop.onDeviceAdded, null, null));
        register(Libvirt.EVENT_ID_DEVICE_REMOVED, libvirt.virConnectDomainEventRegisterAny(conn, null,
                Libvirt.EVENT_ID_DEVICE_REMOVED, loop.onDeviceRemoved, null, null));
        register(Libvirt.EVENT_ID_METADATA_CHANGE, libvirt.virConnectDomainEventRegisterAny(conn, null,
                Libvirt.EVENT_ID_METADATA_CHANGE, loop.onMetadataChange, null, null));
        register(Libvirt.EVENT_ID_JOB_COMPLETED, libvirt.virConnectDomainEventRegisterAny(conn, null,
                Libvirt.EVENT_ID_JOB_COMPLETED, loop.onJobCompleted, null, null));
        register(Libvirt.EVENT_ID_BLOCK_JOB_2, libvirt.virConnectDomainEventRegisterAny(conn, null,
                Libvirt.EVENT_ID_BLOCK_JOB_2, loop.onBlockJob, null, null));
    }

    private void register(int eventId, int callbackId) throws IOException {
        if (callbackId < 0) {
            throw failure("register for domain events (id " + eventId + ")");
        }
        callbackIds.add(callbackId);
    }

    private IOException failure(String what) {
        return new IOException("libvirt at " + uri + ": cannot " + what + ": " + libvirt.virGetLastErrorMessage());
    }

    Pointer pointer() {
        return conn;
    }

    /** Called by the event loop for each event; a full queue drops and counts it. */
    void offer(DomainEvent event) {
        if (!events.offer(event)) {
            counters.eventDropped();
        }
    }

    /** Called by the event loop when libvirtd closed the connection or stopped answering keepalives. */
    void closedByPeer(int reason) {
        closedBecause = switch (reason) {
            case 1 -> "libvirtd closed the connection";
            case 2 -> "libvirtd stopped answering keepalives";
            case 3 -> "the connection was closed";
            default -> "the connection failed";
        };
    }

    /** Whether the daemon is still there. */
    boolean alive() {
        return closedBecause == null && libvirt.virConnectIsAlive(conn) == 1;
    }

    /** Why the connection is no longer alive. */
    String deadBecause() {
        return closedBecause != null ? closedBecause : "libvirtd is gone";
    }

    String uri() {
        return uri;
    }

    @Override
    public void close() {
        for (int id : callbackIds) {
            libvirt.virConnectDomainEventDeregisterAny(conn, id);
        }
        callbackIds.clear();
        libvirt.virConnectUnregisterCloseCallback(conn, loop.onClose);
        loop.detach(this);
        libvirt.virConnectClose(conn);
    }
}
