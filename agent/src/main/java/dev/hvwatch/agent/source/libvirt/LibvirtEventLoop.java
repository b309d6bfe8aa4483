package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.nativebind.Libvirt;
import dev.hvwatch.nativebind.TypedParameters;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libvirt's default event loop on one thread of its own, for the whole process: it delivers domain events and
 * keepalive answers, and notices a daemon that went away. libvirt allows one such loop per process, registered before
 * the first connection, and never unregistered; so it is started once and runs as a daemon thread.
 *
 * <p>The callbacks handed to libvirt are held here for the life of the process, so that no callback libvirt still
 * holds can be collected; they find the connection an event belongs to by its pointer. A callback copies what it needs
 * out of libvirt's objects, which live only as long as the call, and returns at once: it never blocks the loop.
 */
final class LibvirtEventLoop {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtEventLoop.class);
    private static LibvirtEventLoop instance;

    private final Libvirt libvirt;
    private final Map<Long, LibvirtConnection> connections = new ConcurrentHashMap<>();

    final Libvirt.CloseCallback onClose = (conn, reason, opaque) -> with(conn, c -> c.closedByPeer(reason));
    final Libvirt.LifecycleCallback onLifecycle = (conn, dom, event, detail, opaque) ->
            deliver(conn, dom, DomainEvent.Type.LIFECYCLE, event, detail, null, Map.of());
    final Libvirt.GenericCallback onReboot = (conn, dom, opaque) ->
            deliver(conn, dom, DomainEvent.Type.REBOOT, 0, 0, null, Map.of());
    final Libvirt.DeviceCallback onDeviceAdded = (conn, dom, alias, opaque) ->
            deliver(conn, dom, DomainEvent.Type.DEVICE_ADDED, 0, 0, alias, Map.of());
    final Libvirt.DeviceCallback onDeviceRemoved = (conn, dom, alias, opaque) ->
            deliver(conn, dom, DomainEvent.Type.DEVICE_REMOVED, 0, 0, alias, Map.of());
    final Libvirt.MetadataChangeCallback onMetadataChange = (conn, dom, type, namespace, opaque) ->
            deliver(conn, dom, DomainEvent.Type.METADATA_CHANGE, type, 0, namespace, Map.of());
    final Libvirt.JobCompletedCallback onJobCompleted = (conn, dom, params, count, opaque) ->
            deliver(conn, dom, DomainEvent.Type.JOB_COMPLETED, 0, 0, null, jobFacts(params, count));
    final Libvirt.BlockJobCallback onBlockJob = (conn, dom, disk, type, status, opaque) ->
            deliver(conn, dom, DomainEvent.Type.BLOCK_JOB, type, status, disk, Map.of());

    private LibvirtEventLoop(Libvirt libvirt) {
        this.libvirt = libvirt;
    }

    /** The process's loop, started on first use. */
    static synchronized LibvirtEventLoop get(Libvirt libvirt) {
        if (instance == null) {
            LibvirtEventLoop loop = new LibvirtEventLoop(libvirt);
            if (libvirt.virEventRegisterDefaultImpl() < 0) {
                throw new IllegalStateException("libvirt's event loop could not be registered: "
                        + libvirt.virGetLastErrorMessage());
            }
            Thread t = new Thread(loop::run, "hvwatch-libvirt-events");
            t.setDaemon(true);
            t.start();
            instance = loop;
        }
        return instance;
    }

    void attach(LibvirtConnection connection) {
        connections.put(connection.pointer().address(), connection);
    }

    void detach(LibvirtConnection connection) {
        connections.remove(connection.pointer().address());
    }

    private void run() {
        while (true) {
            if (libvirt.virEventRunDefaultImpl() < 0) {
                LOG.warn("libvirt's event loop failed: {}", libvirt.virGetLastErrorMessage());
                pause();
            }
        }
    }

    private void with(Pointer conn, java.util.function.Consumer<LibvirtConnection> action) {
        LibvirtConnection c = conn == null ? null : connections.get(conn.address());
        if (c != null) {
            try {
                action.accept(c);
            } catch (RuntimeException e) {
                // An exception must not unwind into libvirt's C code.
                LOG.warn("libvirt event dropped: {}", e.toString());
            }
        }
    }

    private void deliver(Pointer conn, Pointer dom, DomainEvent.Type type, int event, int detail, String text,
                         Map<String, Object> facts) {
        with(conn, c -> {
            byte[] uuid = new byte[Libvirt.UUID_STRING_BUFLEN];
            String id = libvirt.virDomainGetUUIDString(dom, uuid) == 0
                    ? new String(uuid, 0, 36, StandardCharsets.US_ASCII) : "";
            String name = libvirt.virDomainGetName(dom);
            c.offer(new DomainEvent(type, id, name == null ? "" : bounded(name), event, detail,
                    text == null ? null : bounded(text), facts));
        });
    }

    /** The figures of a completed job (VIR_DOMAIN_JOB_* typed parameters) worth an alert's evidence. */
    private static Map<String, Object> jobFacts(Pointer params, int count) {
        Map<String, Object> facts = new LinkedHashMap<>();
        if (params == null || count <= 0) {
            return facts;
        }
        TypedParameters p = new TypedParameters().reset(params, count);
        for (int i = 0; i < p.count(); i++) {
            String field = p.field(i);
            if (field == null || !p.isNumber(i)) {
                continue;
            }
            switch (field) {
                case "operation" -> facts.put("operation", operation((int) p.number(i)));
                case "time_elapsed" -> facts.put("time_elapsed_ms", (long) p.number(i));
                case "success" -> facts.put("success", p.number(i) != 0);
                case "data_processed" -> facts.put("data_processed_bytes", (long) p.number(i));
                default -> {
                    // the rest are progress figures of a migration in flight
                }
            }
        }
        return facts;
    }

    /** {@code virDomainJobOperation}. */
    private static String operation(int code) {
        return switch (code) {
            case 1 -> "start";
            case 2 -> "save";
            case 3 -> "restore";
            case 4 -> "incoming migration";
            case 5 -> "outgoing migration";
            case 6 -> "snapshot";
            case 7 -> "snapshot revert";
            case 8 -> "dump";
            case 9 -> "backup";
            case 10 -> "snapshot delete";
            default -> "job";
        };
    }

    private static String bounded(String s) {
        return s.length() <= 256 ? s : s.substring(0, 256);
    }

    private static void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
