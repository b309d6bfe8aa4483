package dev.hvwatch.agent.rules;

import dev.hvwatch.protocol.config.ConfigException;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Reloads the rules when one of their files changes or the agent gets SIGHUP. A pack with a mistake is refused
 * with its file, line and reason, and the rules in force stay in force. SIGHUP goes through {@code sun.misc.Signal},
 * the only signal API the JDK offers; it is supported in practice and used by many servers for exactly this.
 */
public final class RuleReloader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RuleReloader.class);
    /** Editors write a file in several steps: wait for the writes to settle before reading. */
    private static final long SETTLE_MILLIS = 200;

    private final List<Path> files;
    private final RuleEngine engine;
    private final Consumer<RulePack> onLoaded;
    private final WatchService watcher;
    private final Set<Path> watchedFiles = new HashSet<>();
    private final Set<Path> watchedDirs = new HashSet<>();
    private final Thread thread;

    public RuleReloader(List<Path> files, RuleEngine engine, Consumer<RulePack> onLoaded) throws IOException {
        this.files = files;
        this.engine = engine;
        this.onLoaded = onLoaded;
        this.watcher = FileSystems.getDefault().newWatchService();
        Set<Path> dirs = new HashSet<>();
        for (Path f : files) {
            Path absolute = f.toAbsolutePath();
            if (Files.isDirectory(absolute)) {
                watchedDirs.add(absolute);
            } else {
                watchedFiles.add(absolute);
            }
            Path dir = Files.isDirectory(absolute) ? absolute : absolute.getParent();
            if (dir != null && Files.isDirectory(dir) && dirs.add(dir)) {
                dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
            }
        }
        thread = new Thread(this::watch, "hvwatch-rules-reload");
        thread.setDaemon(true);
        thread.start();
        Signal.handle(new Signal("HUP"), signal -> reload("SIGHUP"));
    }

    /** Loads the rules again; returns whether the new pack is now in force. */
    public synchronized boolean reload(String why) {
        try {
            RulePack pack = RulePack.load(files);
            engine.replace(pack);
            onLoaded.accept(pack);
            LOG.info("rules reloaded ({}): {} rules in force", why, pack.specs().size());
            return true;
        } catch (ConfigException e) {
            LOG.error("rules not reloaded ({}), the previous rules stay in force: {}", why, e.getMessage());
            return false;
        }
    }

    private void watch() {
        try {
            while (true) {
                boolean ruleFileChanged = concernsRules(watcher.take());
                Thread.sleep(SETTLE_MILLIS);
                WatchKey more;
                while ((more = watcher.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) != null) {
                    ruleFileChanged |= concernsRules(more);
                }
                if (ruleFileChanged) {
                    reload("file changed");
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    /** Other files may share a rule file's directory; only rule files count. */
    private boolean concernsRules(WatchKey key) {
        Path dir = (Path) key.watchable();
        boolean concerns = false;
        for (WatchEvent<?> event : key.pollEvents()) {
            if (!(event.context() instanceof Path name)) {
                concerns = true; // overflow: events were lost, so look again
                continue;
            }
            Path changed = dir.resolve(name);
            String file = name.toString();
            concerns |= watchedFiles.contains(changed)
                    || (watchedDirs.contains(dir) && (file.endsWith(".yaml") || file.endsWith(".yml")));
        }
        key.reset();
        return concerns;
    }

    @Override
    public void close() throws IOException {
        watcher.close();
        thread.interrupt();
    }
}
