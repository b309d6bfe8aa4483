package dev.hvwatch.agent.alert;

import dev.hvwatch.agent.vm.Tenant;
import dev.hvwatch.agent.vm.Vm;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.Category;
import dev.hvwatch.protocol.Severity;
import dev.hvwatch.protocol.VmRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Builds canonical alerts for this agent. The sequence number is left at 0: the spool assigns it when it takes
 * the alert, so that sequence numbers follow spooling order and survive restarts. Each alert carries the URL of its
 * rule's runbook: the configured base followed by {@code <rule id>.md}, as the runbooks are named in
 * {@code docs/runbooks} and installed by the packages.
 */
public final class AlertFactory {
    /** Where the .deb and .rpm install the runbooks. */
    public static final String DEFAULT_RUNBOOKS = "file:///usr/share/doc/hvwatch-agent/runbooks/";

    private final String agent;
    private final String runbooks;

    /**
     * @param agent    this agent's identity, which is also its host name on the wire (the certificate's CN)
     * @param runbooks the runbooks' base URL, ending in '/' (see {@link #runbookBase})
     */
    public AlertFactory(String agent, String runbooks) {
        this.agent = agent;
        this.runbooks = runbookBase("runbooks", runbooks);
    }

    /** With the runbooks where the packages install them. */
    public AlertFactory(String agent) {
        this(agent, DEFAULT_RUNBOOKS);
    }

    /**
     * Checks a runbooks' base URL: absolute, and ending in '/' so that a rule id appended to it names a file in it
     * rather than replacing its last segment. {@code key} names the setting in the error.
     */
    public static String runbookBase(String key, String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(key + " is not a URL: " + e.getMessage());
        }
        if (!uri.isAbsolute() || !url.endsWith("/")) {
            throw new IllegalArgumentException(key + " must be an absolute URL ending in '/' (e.g. "
                    + DEFAULT_RUNBOOKS + "), got '" + url + "'");
        }
        return url;
    }

    /** The runbook of {@code rule}. */
    public String runbookUrl(String rule) {
        return runbooks + rule + ".md";
    }

    /** What a rule says about one subject; everything else an alert holds is filled in here. */
    public record Draft(String rule, String title, Severity severity, Category category, AlertState state,
                        Vm vm, Integer vcpu, String device, List<String> nist, Map<String, Object> evidence,
                        String message) {
    }

    /** This agent's identity, which alerts carry as agent and host. */
    public String agent() {
        return agent;
    }

    public Alert create(Draft d, long timeNanos) {
        Instant at = Instant.ofEpochSecond(0, timeNanos);
        VmRef vm = d.vm() == null ? null : vmRef(d.vm());
        return new Alert(UUID.randomUUID().toString(), agent, 0, AlertTime.format(at), agent, d.rule(), d.title(),
                d.severity(), d.category(), d.state(), vm, d.vcpu(), d.device(), d.nist(), d.evidence(), d.message(),
                runbookUrl(d.rule()));
    }

    /**
     * The alert's VM object as a JSON object, for naming other VMs inside evidence (a starved VM's antagonists): the
     * same map every stage after the spool reads back from the alert's JSON.
     */
    public static Map<String, Object> vmObject(Vm vm) {
        try {
            return AlertJson.mapper().readValue(AlertJson.mapper().writeValueAsBytes(vmRef(vm)),
                    new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException("a VM object that cannot be written as JSON: " + vm.describe(), e);
        }
    }

    /** The alert's VM object: the VM as the host sees it, and its tenant as its manager recorded it. */
    public static VmRef vmRef(Vm vm) {
        Tenant t = vm.tenant();
        return new VmRef(vm.name(), vm.uuid(), vm.pid(), t.instanceName(), t.project(), t.projectId(), t.user(),
                t.flavor(), vm.manager());
    }
}
