package dev.hvwatch.agent.top;

import dev.hvwatch.agent.top.Screen.View;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;
import org.jline.utils.InfoCmp.Capability;
import org.jline.utils.NonBlockingReader;

/**
 * {@code top}'s live view: redraws the screen in place at every refresh and at every key, in the terminal's
 * alternate screen, and gives the terminal back as it found it however it ends (q, Ctrl-C, end of input, SIGTERM
 * or a lost SSH session). JLine drives the terminal: raw mode, window size and its changes, and each terminal's
 * own control sequences from terminfo, in a library that Maven and Groovy also rely on; Lanterna would add a
 * widget toolkit that one table does not need.
 */
public final class LiveTop {
    private static final long POLL_MILLIS = 100;
    private static final int CTRL_C = 3;
    private static final int CTRL_D = 4;

    private final MetricsEndpoint endpoint;
    private final Duration delay;
    private View view;
    private Scrape before;
    private Scrape now;
    private String clock = "";
    private String status;

    public LiveTop(MetricsEndpoint endpoint, Duration delay, View view) {
        this.endpoint = endpoint;
        this.delay = delay;
        this.view = view;
    }

    /** Opens this process's terminal; a null result means there is none to draw on (output piped, say). */
    public static Terminal openTerminal() throws IOException {
        Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build();
        if (terminal.getType().startsWith(Terminal.TYPE_DUMB)) {
            terminal.close();
            return null;
        }
        return terminal;
    }

    /** Runs until the operator quits. */
    public void run(Terminal terminal) throws IOException, InterruptedException {
        Attributes saved = terminal.enterRawMode();
        // Ctrl-C arrives as a key and quits like q, rather than as a signal that ends the JVM mid-frame.
        Attributes raw = terminal.getAttributes();
        raw.setLocalFlag(LocalFlag.ISIG, false);
        terminal.setAttributes(raw);
        AtomicBoolean restored = new AtomicBoolean();
        Runnable restore = () -> {
            if (restored.compareAndSet(false, true)) {
                terminal.puts(Capability.cursor_visible);
                terminal.puts(Capability.exit_ca_mode);
                terminal.flush();
                terminal.setAttributes(saved);
            }
        };
        Thread onKill = new Thread(restore, "hvwatch-top-restore");
        Runtime.getRuntime().addShutdownHook(onKill);
        try {
            terminal.puts(Capability.enter_ca_mode);
            terminal.puts(Capability.cursor_invisible);
            AtomicBoolean resized = new AtomicBoolean();
            terminal.handle(Terminal.Signal.WINCH, signal -> resized.set(true));
            loop(terminal, terminal.reader(), resized);
        } finally {
            restore.run();
            Runtime.getRuntime().removeShutdownHook(onKill);
        }
    }

    private void loop(Terminal terminal, NonBlockingReader keys, AtomicBoolean resized)
            throws IOException, InterruptedException {
        long nextRefresh = System.nanoTime();
        while (true) {
            if (System.nanoTime() - nextRefresh >= 0) {
                refresh();
                nextRefresh = System.nanoTime() + delay.toNanos();
                draw(terminal);
            }
            int key = keys.read(POLL_MILLIS);
            if (key == NonBlockingReader.EOF || key == 'q' || key == 'Q' || key == CTRL_C || key == CTRL_D) {
                return;
            }
            SortKey sort = SortKey.forKey(key);
            if (sort != null || key == 'r' || resized.getAndSet(false)) {
                view = sort != null ? view.sortedBy(sort) : key == 'r' ? view.reverse() : view;
                draw(terminal);
            }
        }
    }

    private void refresh() throws InterruptedException {
        try {
            Scrape scrape = endpoint.scrape();
            before = now;
            now = scrape;
            clock = Screen.clockNow();
            status = null;
        } catch (IOException e) {
            status = e.getMessage();
        }
    }

    private void draw(Terminal terminal) {
        Size size = terminal.getSize();
        int width = size.getColumns() > 0 ? size.getColumns() : 80;
        int height = size.getRows() > 0 ? size.getRows() : 24;
        String problem = status;
        TopTable table;
        try {
            table = now == null ? new TopTable(List.of(), List.of(), false) : TopTable.between(before, now);
        } catch (IllegalArgumentException e) {
            table = new TopTable(List.of(), List.of(), false);
            problem = e.getMessage();
        }
        List<String> lines = Screen.render(table, view, width, height, clock, problem);
        terminal.puts(Capability.cursor_home);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i == Screen.HEADER_LINE) {
                new AttributedString(line + " ".repeat(width - line.length()), AttributedStyle.INVERSE)
                        .print(terminal);
            } else {
                terminal.writer().print(line);
                terminal.puts(Capability.clr_eol);
            }
            if (i < lines.size() - 1) {
                terminal.writer().print("\r\n");
            }
        }
        terminal.puts(Capability.clr_eos);
        terminal.flush();
    }
}
