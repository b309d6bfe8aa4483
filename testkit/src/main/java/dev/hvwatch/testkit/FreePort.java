package dev.hvwatch.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A loopback port no one listens on yet, for a server a test starts after its clients (a collector that comes up
 * once the agent is already retrying). Chosen below the kernel's ephemeral range: a port from that range (what
 * {@code new ServerSocket(0)} returns) can meanwhile become the source port of some outgoing connection, or of the
 * client's own retries, which on Linux then connect to themselves (TCP simultaneous open) and hold the port, so the
 * server's bind fails with "Address already in use".
 */
public final class FreePort {
    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int LOWEST = 10_000;

    private FreePort() {
    }

    public static int find() throws IOException {
        int below = ephemeralLow();
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
            try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return probe.getLocalPort();
            } catch (IOException taken) {
                // another process's: try the next
            }
        }
        throw new IOException("no free loopback port between " + LOWEST + " and " + below + " after 100 tries");
    }

    /** The range's first port. Read by lines: {@code Files.readString} of this procfs file returns its first byte. */
    private static int ephemeralLow() throws IOException {
        String[] range = Files.readAllLines(EPHEMERAL_RANGE).get(0).trim().split("\\s+");
        int low = Integer.parseInt(range[0]);
        if (low <= LOWEST + 1000) {
            throw new IOException(EPHEMERAL_RANGE + " starts at " + low + ": no room for test ports below it");
        }
        return low;
    }
}
