package dev.hvwatch.agent;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.ship.AlertShipper;
import dev.hvwatch.agent.spool.Spool;
import dev.hvwatch.agent.spool.SpoolKeeper;
import dev.hvwatch.agent.spool.SpoolOverflowAlarm;
import dev.hvwatch.protocol.Alert;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool, its keeper and alarm, and the shipper that drains it: where the agent's alerts go. Opened at start
 * when the state directory allows it. When it does not (a full disk, a read-only or broken file system), the agent
 * starts anyway, degraded: each alert is counted as lost ({@code hvwatch_events_dropped_total{stage="spool"}}),
 * {@code hvwatch_spool_writable} is 0, the log says why, and the spool is opened again every
 * {@link #RETRY_INTERVAL} until it works; its overflow alarm then reports what was lost meanwhile.
 */
final class AlertDelivery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertDelivery.class);
    static final Duration RETRY_INTERVAL = Duration.ofSeconds(10);
    private static final Duration ALARM_INTERVAL = Duration.ofMinutes(1);

    private final AgentConfig config;
    private final AlertFactory alerts;
    /** Spools an alert through the agent's sink (counted, logged); given to the overflow alarm. */
    private final ToLongFunction<Alert> sink;
    private final Object opening = new Object();
    private final ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "spool-open-retry");
        t.setDaemon(true);
        return t;
    });
    /** Guarded by {@link #opening}; read without it by the metrics. */
    private volatile Spool spool;
    private volatile AlertShipper shipper;
    private SpoolKeeper keeper;
    private long lostUnopened;

    private AlertDelivery(AgentConfig config, AlertFactory alerts, ToLongFunction<Alert> sink) {
        this.config = config;
        this.alerts = alerts;
        this.sink = sink;
    }

    /**
     * Opens the spool and starts shipping, or starts degraded when the spool cannot be opened.
     *
     * @throws SSLException when the collector's certificates do not load: a configuration error
     */
    static AlertDelivery start(AgentConfig config, AlertFactory alerts, ToLongFunction<Alert> sink)
            throws SSLException {
        AlertDelivery delivery = new AlertDelivery(config, alerts, sink);
        try {
            delivery.open();
        } catch (SSLException e) {
            throw e;
        } catch (IOException e) {
            LOG.error("starting DEGRADED: {}; alerts are counted as lost until the spool opens (retried every {} s)",
                    e.getMessage(), RETRY_INTERVAL.toSeconds());
            delivery.retry.scheduleWithFixedDelay(delivery::retryOpen, RETRY_INTERVAL.toMillis(),
                    RETRY_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }
        return delivery;
    }

    /** Spools the alert and wakes the shipper; its seq, or 0 when it was lost (counted). Never blocks for long. */
    long offer(Alert alert) {
        AlertShipper s = shipper;
        if (s != null) {
            return s.offer(alert);
        }
        synchronized (opening) {
            if (shipper != null) {
                return shipper.offer(alert);
            }
            lostUnopened++;
            LOG.debug("alert {} lost: the spool is not open", alert.id());
            return 0;
        }
    }

    /** Alerts lost by the spool, before it opened included. */
    long dropped() {
        Spool s = spool;
        if (s != null) {
            return s.dropped();
        }
        synchronized (opening) {
            return spool != null ? spool.dropped() : lostUnopened;
        }
    }

    long pending() {
        Spool s = spool;
        return s == null ? 0 : s.pending();
    }

    /** Times a collector refused this agent for the reason; 0 before the spool opened (nothing was shipped). */
    long refusals(String reason) {
        AlertShipper s = shipper;
        return s == null ? 0 : s.refusals(reason);
    }

    /** 1 while the spool is open and its file system has room for an alert. */
    boolean writable() {
        Spool s = spool;
        return s != null && s.hasRoom();
    }

    private void open() throws IOException, SSLException {
        synchronized (opening) {
            Path dir = config.state().dir().resolve("spool");
            Spool opened = Spool.openAfterLosing(dir, config.spool().limits(), lostUnopened);
            try {
                shipper = AlertShipper.start(config.collector(), config.identity().host(), opened);
            } catch (SSLException | RuntimeException e) {
                opened.close();
                throw e;
            }
            spool = opened;
            keeper = SpoolKeeper.start(opened, new SpoolOverflowAlarm(opened, alerts, sink, ALARM_INTERVAL));
        }
    }

    private void retryOpen() {
        try {
            open();
            LOG.info("spool opened: alerts are spooled and shipped again ({} lost while it was not open)",
                    lostUnopened);
            retry.shutdown();
        } catch (IOException | RuntimeException e) {
            LOG.debug("spool still cannot be opened: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        retry.shutdownNow();
        synchronized (opening) {
            if (keeper != null) {
                keeper.close();
            }
            if (shipper != null) {
                shipper.close();
            }
            if (spool != null) {
                spool.close();
            }
        }
    }
}
