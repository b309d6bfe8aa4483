package dev.hvwatch.agent.source.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hvwatch.agent.ring.Batch;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.kvmstat.KvmMetric;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import dev.hvwatch.protocol.Backoff;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * hvwatch's conversation with one VM's QMP monitor, kept open across rounds, because QEMU sends events only to a
 * connected client. Per connection: the greeting, the statistics schema and the vCPU paths. Per round: pending
 * events, the device tree, and {@code query-stats} for the VM and its vCPUs.
 *
 * <p>QEMU serves one client per monitor and leaves the others in its listen queue without a greeting. hvwatch
 * does not connect to a monitor {@code net/unix} shows in use, looks for the greeting briefly, then again in later
 * rounds without blocking, and gives up after the timeout (BUSY): it does not stay queued, or it would take the
 * monitor the moment its owner let go for a reconnect and lock the owner out.
 *
 * <p>A failure closes the connection, is counted, and is logged once per outage; reconnecting waits a little
 * longer after each consecutive failure (the project's {@link Backoff}: 0.5 s doubling up to 30 s, jittered).
 */
final class QmpSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QmpSession.class);

    /** Rounds a VM may go without QMP statistics before another source may take its KVM statistics over. */
    static final int GRACE_ROUNDS = 3;
    /** A QEMU that is free greets within microseconds; a round should not wait long for one that is not. */
    static final long GREETING_WAIT_MILLIS = 100;
    private static final long GREETING_WAIT_NANOS = GREETING_WAIT_MILLIS * 1_000_000L;

    private static final QmpConnection.Request SCHEMAS = QmpConnection.Request.of("query-stats-schemas", null);
    private static final QmpConnection.Request CPUS = QmpConnection.Request.of("query-cpus-fast", null);
    private static final QmpConnection.Request VM_STATS = statsRequest("vm");
    private static final QmpConnection.Request VCPU_STATS = statsRequest("vcpu");

    private final Vm vm;
    private final Path socket;
    private final ProcNetUnix sockets;
    private final EventRing ring;
    private final Batch batch;
    private final KvmStatSeries series;
    private final QmpErrors errors;
    private final long timeoutNanos;
    private final DeviceTree devices = new DeviceTree();
    private final List<JsonNode> listings = new ArrayList<>(DeviceTree.LISTINGS.size());
    private final List<DeviceTree.Change> changes = new ArrayList<>();
    /** Reasons logged in the current outage: each is logged once until a round talks to QEMU again. */
    private final Set<QmpError> logged = EnumSet.noneOf(QmpError.class);
    private final Map<String, Integer> vcpuIndexByPath = new HashMap<>();
    /** Statistics whose value did not fit their schema, logged once each. */
    private final Set<String> oddStatistics = new HashSet<>();

    private QmpConnection connection;
    /** When the connection was opened ({@link System#nanoTime}), for the greeting's timeout. */
    private long connectedAtNanos;
    private boolean firstLookForGreeting;
    private StatsSchema schema;
    private boolean statsUnsupported;
    private boolean delivered;
    private int roundsWithoutStats;
    private final Backoff retry = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));
    private long retryAtNanos;
    private long roundNanos;
    /** QEMU announced SHUTDOWN: the connection closing next is the VM ending, not a failure. */
    private boolean shuttingDown;

    QmpSession(Vm vm, Path socket, ProcNetUnix sockets, EventRing ring, KvmStatSeries series, QmpErrors errors,
               long timeoutNanos) {
        this.vm = vm;
        this.socket = socket;
        this.sockets = sockets;
        this.ring = ring;
        this.batch = ring.batch();
        this.series = series;
        this.errors = errors;
        this.timeoutNanos = timeoutNanos;
    }

    Path socket() {
        return socket;
    }

    boolean connected() {
        return connection != null;
    }

    /**
     * Whether QMP feeds this VM's KVM statistics or may still: it has, or the VM is young and QMP has not given up
     * (QEMU without query-stats, or a monitor that stayed out of reach for {@link #GRACE_ROUNDS} rounds).
     */
    boolean mayFeed() {
        return !statsUnsupported && (delivered || roundsWithoutStats < GRACE_ROUNDS);
    }

    /** How far one round got. */
    private enum Progress {
        /** Waiting to retry, or for the greeting. */
        WAITING,
        /** Talked to QEMU, but published no statistics: QEMU has none, or another source feeds the VM. */
        TALKED,
        FED
    }

    /** One round; never throws: failures are counted and logged. */
    void sample(long nowNanos) {
        roundNanos = nowNanos;
        Progress progress = Progress.WAITING;
        try {
            progress = exchange(nowNanos);
        } catch (QmpException e) {
            fail(e, nowNanos);
        }
        if (progress != Progress.WAITING) {
            retry.reset();
            if (!logged.isEmpty()) {
                LOG.info("QMP of VM {} is back via {}", vm.describe(), socket);
                logged.clear();
            }
        }
        if (progress == Progress.FED) {
            delivered = true;
        } else {
            roundsWithoutStats++;
        }
    }

    private Progress exchange(long nowNanos) throws QmpException {
        if (connection == null) {
            if (nowNanos < retryAtNanos) {
                return Progress.WAITING;
            }
            if (heldByAnotherClient()) {
                throw new QmpException(QmpError.BUSY, socket + ": another client holds the monitor");
            }
            connection = QmpConnection.open(socket, this::onEvent);
            connectedAtNanos = System.nanoTime();
            firstLookForGreeting = true;
        }
        long greetingWait = firstLookForGreeting ? Math.min(timeoutNanos, GREETING_WAIT_NANOS) : 0;
        firstLookForGreeting = false;
        if (!connection.handshake(greetingWait, timeoutNanos)) {
            if (System.nanoTime() - connectedAtNanos >= timeoutNanos) {
                throw new QmpException(QmpError.BUSY, socket + ": no QMP greeting within " + timeoutNanos / 1_000_000
                        + " ms: another client holds the monitor");
            }
            return Progress.WAITING;
        }
        if (schema == null) {
            onConnected();
        }
        connection.pollEvents();
        lookForDeviceChanges(nowNanos);
        if (statsUnsupported || !series.claim(vm, QmpSource.NAME)) {
            return Progress.TALKED;
        }
        try {
            publish(nowNanos, connection.execute(VM_STATS, timeoutNanos), false);
            publish(nowNanos, connection.execute(VCPU_STATS, timeoutNanos), true);
        } finally {
            batch.flush();
        }
        return Progress.FED;
    }

    /**
     * Looks before connecting: a connection that QEMU has not accepted stays in its listen queue even after the
     * client gives up, so each attempt on a held monitor would take one of its few queue places.
     */
    private boolean heldByAnotherClient() {
        try {
            return sockets.hasConnectedClient(socket);
        } catch (IOException unknown) {
            return false; // the greeting's timeout tells instead
        }
    }

    private void onConnected() throws QmpException {
        schema = statsUnsupported ? StatsSchema.NONE : readSchema();
        if (schema.isEmpty() && !statsUnsupported) {
            LOG.info("QMP of VM {} reports no KVM statistics (not running on KVM?)", vm.describe());
            statsUnsupported = true;
        }
        if (!schema.skipped().isEmpty()) {
            LOG.debug("VM {}: KVM statistics not exported: {}", vm.describe(), schema.skipped());
        }
        readVcpuPaths();
        if (logged.isEmpty()) { // after an outage, "is back" says it
            LOG.info("QMP connected to VM {} via {}", vm.describe(), socket);
        }
    }

    private StatsSchema readSchema() throws QmpException {
        try {
            return StatsSchema.parse(connection.execute(SCHEMAS, timeoutNanos));
        } catch (QmpException e) {
            if (e.reason() != QmpError.COMMAND) {
                throw e;
            }
            // QEMU before 7.1: no statistics, but its events and devices still matter. Not asked again.
            count(QmpError.COMMAND, e.getMessage() + " (QEMU older than 7.1?): no KVM statistics over QMP");
            statsUnsupported = true;
            return StatsSchema.NONE;
        }
    }

    /** query-cpus-fast: the QOM path query-stats names each vCPU by, to the cpu-index hvwatch labels it with. */
    private void readVcpuPaths() throws QmpException {
        vcpuIndexByPath.clear();
        for (JsonNode cpu : connection.execute(CPUS, timeoutNanos)) {
            vcpuIndexByPath.put(cpu.path("qom-path").asText(), cpu.path("cpu-index").asInt());
        }
    }

    private void lookForDeviceChanges(long nowNanos) throws QmpException {
        listings.clear();
        for (QmpConnection.Request listing : DeviceTree.LISTINGS) {
            listings.add(connection.execute(listing, timeoutNanos));
        }
        changes.clear();
        devices.update(listings, changes);
        for (DeviceTree.Change c : changes) {
            ring.publishNotice(nowNanos, vm, c.added() ? QmpEvents.deviceAdded(vm, c.path(), c.driver(), c.id())
                    : QmpEvents.deviceDeleted(vm, c.path(), c.id(), "device tree"));
        }
    }

    /** @param reply the {@code return} of query-stats: one entry per provider (and per vCPU for target vcpu) */
    private void publish(long nowNanos, JsonNode reply, boolean perVcpu) throws QmpException {
        boolean pathsReread = false;
        for (JsonNode entry : reply) {
            if (!StatsSchema.PROVIDER.equals(entry.path("provider").asText())) {
                continue;
            }
            int vcpu = -1;
            if (perVcpu) {
                String path = entry.path("qom-path").asText();
                Integer index = vcpuIndexByPath.get(path);
                if (index == null && !pathsReread) {
                    readVcpuPaths(); // a vCPU hot-plugged since we connected
                    pathsReread = true;
                    index = vcpuIndexByPath.get(path);
                }
                if (index == null) {
                    continue;
                }
                vcpu = index;
            }
            for (JsonNode stat : entry.path("stats")) {
                String name = stat.path("name").asText();
                KvmMetric metric = perVcpu ? schema.vcpuMetric(name) : schema.vmMetric(name);
                JsonNode value = stat.get("value");
                if (metric == null || value == null) {
                    continue;
                }
                double v;
                if (value.isNumber()) {
                    v = value.asDouble() * metric.scale();
                } else if (value.isBoolean()) {
                    v = value.asBoolean() ? 1 : 0;
                } else {
                    errors.count(QmpError.PROTOCOL);
                    if (oddStatistics.add(name)) {
                        LOG.warn("QMP of VM {}: query-stats gave {} a {} value, not a number; skipped [protocol; "
                                + "logged once]", vm.describe(), name, value.getNodeType());
                    }
                    continue;
                }
                batch.sample(nowNanos, vm, vcpu, series.series(vm, vcpu, metric), v);
            }
        }
    }

    private void onEvent(JsonNode event) {
        shuttingDown |= "SHUTDOWN".equals(event.path("event").asText());
        String deleted = QmpEvents.deletedDevicePath(event);
        if (deleted != null) {
            devices.deleted(deleted);
        }
        Notice notice = QmpEvents.notice(event, vm);
        if (notice != null) {
            ring.publishNotice(QmpEvents.timeNanos(event, roundNanos), vm, notice);
        }
    }

    private void fail(QmpException e, long nowNanos) {
        if (e.reason() == QmpError.CLOSED && shuttingDown) {
            LOG.info("QMP of VM {}: closed after SHUTDOWN", vm.describe());
        } else {
            count(e.reason(), e.getMessage());
        }
        closeConnection();
        retryAtNanos = nowNanos + retry.next().toNanos();
    }

    private void count(QmpError reason, String message) {
        errors.count(reason);
        if (logged.add(reason)) {
            LOG.warn("QMP of VM {}: {} [{}; logged once until it recovers]", vm.describe(), message, reason.label());
        }
    }

    private void closeConnection() {
        if (connection != null) {
            connection.close();
            connection = null;
        }
        schema = null;
    }

    /**
     * Passes on the events still buffered, then closes: a VM that discovery saw go may have said why on its way out
     * (SHUTDOWN), and the socket keeps what it sent.
     */
    @Override
    public void close() {
        if (connection != null && schema != null) {
            try {
                connection.pollEvents();
            } catch (QmpException expected) {
                // The VM is gone: its connection ends with CLOSED, which is no error now.
            }
        }
        closeConnection();
    }

    private static QmpConnection.Request statsRequest(String target) {
        ObjectNode arguments = QmpConnection.JSON.createObjectNode().put("target", target);
        ArrayNode providers = arguments.putArray("providers");
        providers.addObject().put("provider", StatsSchema.PROVIDER);
        return QmpConnection.Request.of("query-stats", arguments);
    }
}
