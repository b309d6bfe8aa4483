package dev.hvwatch.agent.source.libvirt;

import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.libvirt.DomainMetric.Group;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the libvirt source could not use, counted for {@code hvwatch_source_errors_total{source="libvirt"}} and
 * {@code hvwatch_libvirt_stats_skipped_total{group}}. Each kind of error is logged once, and at most
 * {@value #MAX_LOGGED} kinds, so a domain that sends garbage every round cannot flood the log.
 */
final class LibvirtCounters {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtSource.class);
    private static final int MAX_LOGGED = 64;

    private final AtomicLong errors = new AtomicLong();
    private final AtomicLongArray skipped = new AtomicLongArray(Group.values().length);
    private final AtomicLong eventsDropped = new AtomicLong();
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    /** @param vm the VM concerned, or null */
    void error(String what, Vm vm) {
        errors.incrementAndGet();
        if (logged.size() < MAX_LOGGED && logged.add(what)) {
            LOG.warn("libvirt{}: {} [counted in hvwatch_source_errors_total{{source=\"libvirt\"}}; logged once]",
                    vm == null ? "" : ", VM " + vm.describe(), what);
        }
    }

    void countSkipped(Group group) {
        skipped.incrementAndGet(group.ordinal());
    }

    void eventDropped() {
        eventsDropped.incrementAndGet();
    }

    long errors() {
        return errors.get();
    }

    long skipped(Group group) {
        return skipped.get(group.ordinal());
    }

    long eventsDropped() {
        return eventsDropped.get();
    }
}
