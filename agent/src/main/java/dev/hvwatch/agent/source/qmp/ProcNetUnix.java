package dev.hvwatch.agent.source.qmp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The unix sockets of the agent's network namespace, from {@code PROC/net/unix}: "Num RefCount Protocol Flags Type
 * St Inode Path". A server's listening socket has {@code __SO_ACCEPTCON} in Flags; every connection it accepted
 * shows the same Path, in state 03 (connected); a connection still waiting in its listen queue is state 02.
 */
final class ProcNetUnix {
    private static final int LISTENING = 0x10000;
    private static final String CONNECTED = "03";

    private final Path file;

    ProcNetUnix(Path procRoot) {
        this.file = procRoot.resolve("net/unix");
    }

    /**
     * For the wanted paths that a socket listens on: "socket:[INODE]", as the listener's fd link in
     * {@code PROC/PID/fd} reads, to the path.
     */
    Map<String, Path> listeners(Map<String, Path> wantedByName) throws IOException {
        Map<String, Path> byLink = new HashMap<>();
        forEach((flags, state, inode, path) -> {
            Path wanted = wantedByName.get(path);
            if (wanted != null && (flags & LISTENING) != 0) {
                byLink.put("socket:[" + inode + "]", wanted);
            }
        });
        return byLink;
    }

    /**
     * Whether a server accepted a connection on this path that is still open: for a QMP socket, another client holds
     * the monitor. Needs the agent in QEMU's network namespace; elsewhere the path is not listed and this is false.
     */
    boolean hasConnectedClient(Path socket) throws IOException {
        String name = socket.toString();
        boolean[] found = new boolean[1];
        forEach((flags, state, inode, path) -> found[0] |= (flags & LISTENING) == 0 && CONNECTED.equals(state)
                && name.equals(path));
        return found[0];
    }

    private interface Row {
        void accept(int flags, String state, String inode, String path);
    }

    private void forEach(Row row) throws IOException {
        // Decoded leniently (InputStreamReader replaces what is not UTF-8, Files.newBufferedReader throws): any
        // local user may bind a socket whose path is not UTF-8, and it must not hide the QEMU monitors.
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(Files.newInputStream(file),
                StandardCharsets.UTF_8))) {
            lines.readLine(); // the header
            String line;
            while ((line = lines.readLine()) != null) {
                String[] f = line.trim().split("\\s+", 8);
                if (f.length == 8) { // unnamed sockets have no Path column
                    row.accept(Integer.parseInt(f[3], 16), f[5], f[6], f[7]);
                }
            }
        } catch (NumberFormatException e) {
            throw new IOException(file + ": unexpected Flags column: " + e.getMessage(), e);
        }
    }
}
