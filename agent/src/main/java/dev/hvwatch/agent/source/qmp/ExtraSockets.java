package dev.hvwatch.agent.source.qmp;

import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which VM listens on each configured QMP socket path (sockets the QEMU command line does not name, e.g. passed as
 * a file descriptor by a management layer). The kernel knows: {@code PROC/net/unix} gives the inode of the listening
 * socket bound to the path, and the QEMU process holding that socket has an fd linking to {@code socket:[INODE]}.
 * Unlike asking QMP for the VM's name or UUID, this works while another client holds the monitor, and names the
 * process even when names and UUIDs repeat.
 *
 * <p>Limits: the agent must be in the QEMUs' network namespace ({@code net/unix} lists one namespace's sockets)
 * and may read their fd links (root, or QEMU's user).
 *
 * <p>A path is looked up again only when something could have changed its answer: a VM appeared, or the socket
 * file itself changed (created, replaced). Sampling thread only.
 */
final class ExtraSockets {
    private static final Logger LOG = LoggerFactory.getLogger(ExtraSockets.class);
    private static final Object NO_FILE = new Object();

    private final Path procRoot;
    private final ProcNetUnix sockets;
    private final List<Path> paths;
    private final Map<Path, Vm> owners = new HashMap<>();
    /** For a path without an owner: its file key (or NO_FILE) when it was last looked up. */
    private final Map<Path, Object> lookedUpAs = new HashMap<>();
    private final Set<Vm> known = Collections.newSetFromMap(new IdentityHashMap<>());

    ExtraSockets(Path procRoot, List<Path> paths) {
        this.procRoot = procRoot;
        this.sockets = new ProcNetUnix(procRoot);
        this.paths = paths.stream().map(p -> p.toAbsolutePath().normalize()).distinct().toList();
    }

    /** The configured socket the VM listens on, or null. */
    Path socketOf(Vm vm) {
        for (Map.Entry<Path, Vm> e : owners.entrySet()) {
            if (e.getValue() == vm) {
                return e.getKey();
            }
        }
        return null;
    }

    /** Brings the path-to-VM matches up to date with this round's VMs. */
    void refresh(Collection<WatchedVm> watched) throws IOException {
        if (paths.isEmpty()) {
            return;
        }
        boolean vmAppeared = false;
        Set<Vm> live = Collections.newSetFromMap(new IdentityHashMap<>());
        for (WatchedVm w : watched) {
            live.add(w.vm());
            vmAppeared |= !known.contains(w.vm());
        }
        known.retainAll(live);
        known.addAll(live);
        owners.values().removeIf(vm -> !live.contains(vm));

        Map<String, Path> wanted = new HashMap<>();
        for (Path path : paths) {
            if (owners.containsKey(path)) {
                continue;
            }
            Object fileKey = fileKey(path);
            if (vmAppeared || !Objects.equals(lookedUpAs.get(path), fileKey)) {
                lookedUpAs.put(path, fileKey);
                if (fileKey != NO_FILE) {
                    wanted.put(path.toString(), path);
                }
            }
        }
        if (!wanted.isEmpty()) {
            match(sockets.listeners(wanted), watched);
        }
    }

    private void match(Map<String, Path> byLink, Collection<WatchedVm> watched) throws IOException {
        for (WatchedVm w : watched) {
            if (byLink.isEmpty()) {
                return;
            }
            if (owners.containsValue(w.vm())) {
                continue;
            }
            Path fds = procRoot.resolve(Long.toString(w.vm().pid())).resolve("fd");
            try (DirectoryStream<Path> links = Files.newDirectoryStream(fds)) {
                for (Path fd : links) {
                    Path path = byLink.remove(readLinkOrEmpty(fd));
                    if (path != null) {
                        owners.put(path, w.vm());
                        lookedUpAs.remove(path);
                        LOG.info("QMP socket {} belongs to VM {}", path, w.vm().describe());
                        break;
                    }
                }
            } catch (NoSuchFileException exited) {
                // The VM is gone; discovery notices next round.
            }
        }
    }

    private static String readLinkOrEmpty(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException closedMeanwhile) {
            return "";
        }
    }

    private static Object fileKey(Path path) {
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return Arrays.asList(a.fileKey(), a.lastModifiedTime());
        } catch (IOException e) {
            return NO_FILE;
        }
    }
}
