package dev.hvwatch.collector.api;

import dev.hvwatch.collector.journal.JournalEntry;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.Severity;
import java.time.Instant;
import java.util.Set;

/**
 * Which journaled alerts a query or stream wants; every part is optional (null or empty: any) and all parts must
 * hold. {@code since} is inclusive, {@code until} exclusive; {@code vms} match a VM's name or UUID.
 */
record AlertFilter(
        Instant since,
        Instant until,
        Set<Severity> severities,
        Severity minSeverity,
        Set<String> hosts,
        Set<String> vms,
        Set<String> rules,
        AlertState state) {

    static final AlertFilter ANY = new AlertFilter(null, null, Set.of(), null, Set.of(), Set.of(), Set.of(), null);

    AlertFilter {
        severities = Set.copyOf(severities);
        hosts = Set.copyOf(hosts);
        vms = Set.copyOf(vms);
        rules = Set.copyOf(rules);
    }

    boolean matches(JournalEntry entry) {
        // Ingest refuses alerts whose host is not their agent's certificate identity, so the host is known unparsed.
        if (!hosts.isEmpty() && !hosts.contains(entry.agent())) {
            return false;
        }
        return !needsAlert() || matches(entry.alert());
    }

    /** Whether anything beyond the host is asked for, which takes parsing the alert. */
    boolean needsAlert() {
        return since != null || until != null || !severities.isEmpty() || minSeverity != null || !vms.isEmpty()
                || !rules.isEmpty() || state != null;
    }

    private boolean matches(Alert alert) {
        if (!severities.isEmpty() && !severities.contains(alert.severity())) {
            return false;
        }
        if (minSeverity != null && alert.severity().compareTo(minSeverity) < 0) {
            return false;
        }
        if (state != null && alert.state() != state) {
            return false;
        }
        if (!rules.isEmpty() && !rules.contains(alert.rule())) {
            return false;
        }
        if (!vms.isEmpty() && (alert.vm() == null
                || !(vms.contains(alert.vm().name()) || vms.contains(alert.vm().uuid())))) {
            return false;
        }
        if (since != null || until != null) {
            Instant time = AlertTime.parse(alert.time());
            return (since == null || !time.isBefore(since)) && (until == null || time.isBefore(until));
        }
        return true;
    }
}
