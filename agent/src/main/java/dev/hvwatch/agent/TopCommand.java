package dev.hvwatch.agent;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.top.LiveTop;
import dev.hvwatch.agent.top.MetricsEndpoint;
import dev.hvwatch.agent.top.Scrape;
import dev.hvwatch.agent.top.Screen;
import dev.hvwatch.agent.top.Screen.View;
import dev.hvwatch.agent.top.SortKey;
import dev.hvwatch.agent.top.TopTable;
import dev.hvwatch.protocol.config.Durations;
import dev.hvwatch.protocol.config.HostPort;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jline.terminal.Terminal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code hvwatch-agent top}: a live per-VM view of a running agent, in the spirit of kvm_stat. It is a client of
 * the agent's /metrics, so it needs no privilege and shows exactly what Prometheus scrapes.
 */
@Command(name = "top", description = {
        "Live per-VM view of a running agent: exits/s (KVM's count) and the busiest exit kinds, steal (the share "
                + "of runnable time its vCPUs waited for a host CPU), CPU share of the host, and alerts firing.",
        "Keys: e exits, s steal, c CPU, a alerts, n name (sort); r reverse; q or Ctrl-C quit."})
final class TopCommand implements Callable<Integer> {
    @Mixin
    ConfigOption config;

    @Option(names = "--url", paramLabel = "URL", description = "The agent's metrics (default: http://"
            + "<metrics.listen of the config>/metrics).")
    URI url;

    @Option(names = {"-d", "--delay"}, paramLabel = "DURATION", defaultValue = "2s",
            description = "Time between refreshes, e.g. 1s, 500ms (default: ${DEFAULT-VALUE}).")
    String delay;

    @Option(names = "--sort", paramLabel = "KEY", defaultValue = "exits",
            description = "Initial order: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    SortKey sort;

    @Option(names = "--once", description = "Print one report (two reads, --delay apart) and exit, for scripts "
            + "and for output that is not a terminal.")
    boolean once;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Duration every = refreshPeriod();
        MetricsEndpoint endpoint = new MetricsEndpoint(url != null ? url : metricsUrl(config.load()));
        View view = new View(endpoint.uri().getAuthority(), Durations.format(every), sort, false);
        if (once) {
            return report(endpoint, every, view);
        }
        try (Terminal terminal = LiveTop.openTerminal()) {
            if (terminal == null) {
                throw new ParameterException(spec.commandLine(), "top needs a terminal to draw on; "
                        + "hvwatch-agent top --once prints one report instead");
            }
            new LiveTop(endpoint, every, view).run(terminal);
        }
        return 0;
    }

    private Duration refreshPeriod() {
        try {
            Duration d = Durations.parse(delay);
            if (d.toMillis() < 100) {
                throw new IllegalArgumentException("--delay must be at least 100ms, not " + delay);
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--delay: " + e.getMessage());
        }
    }

    private int report(MetricsEndpoint endpoint, Duration every, View view) throws Exception {
        Scrape before = endpoint.scrape();
        Thread.sleep(every.toMillis());
        Scrape now = endpoint.scrape();
        TopTable table = TopTable.between(before, now);
        PrintWriter out = spec.commandLine().getOut();
        Screen.render(table, view, 80, table.vms().size() + 4, Screen.clockNow(), "").forEach(out::println);
        out.flush();
        return 0;
    }

    /** The agent's own metrics address; an agent listening on every address is asked on loopback. */
    static URI metricsUrl(AgentConfig config) {
        HostPort listen = HostPort.parse("metrics.listen", config.metrics().listen());
        String host = switch (listen.host()) {
            case "0.0.0.0", "" -> "127.0.0.1";
            case "::" -> "[::1]";
            default -> listen.host().contains(":") ? "[" + listen.host() + "]" : listen.host();
        };
        return URI.create("http://" + host + ":" + listen.port() + "/metrics");
    }
}
