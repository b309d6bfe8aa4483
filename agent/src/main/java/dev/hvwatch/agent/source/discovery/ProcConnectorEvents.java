package dev.hvwatch.agent.source.discovery;

import dev.hvwatch.nativebind.LibC;
import dev.hvwatch.nativebind.ProcConnector;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import jnr.ffi.Pointer;

/**
 * The kernel's process events connector, the way {@code forkstat} and the audit tools follow processes: one netlink
 * datagram per exec, exit and thread rename on the host, queued in the socket until the sampling thread drains it
 * once a round without blocking. A round then costs a few reads however many processes the host runs, where a
 * listing of {@code /proc} costs one entry per process. The JDK has no netlink sockets, hence the C library calls.
 * Fork events are not read: a forked process matters to discovery only once it runs QEMU, which is an exec.
 */
public final class ProcConnectorEvents implements ProcessEvents {
    /** Room for a burst between two rounds: the kernel counts about 1 KB of this per queued event. */
    private static final int RECEIVE_BUFFER_BYTES = 4 << 20;
    private static final Duration ACKNOWLEDGEMENT_WAIT = Duration.ofSeconds(1);
    /** A datagram is 76 bytes today; the kernel may add fields to the event data. */
    private static final int DATAGRAM_BYTES = 512;
    /** A host forking without pause could otherwise keep a round draining forever. */
    private static final int MOST_READ_A_ROUND = 100_000;

    private final LibC libc = LibC.load();
    private final int fd;
    private final ByteBuffer datagram = ByteBuffer.allocateDirect(DATAGRAM_BYTES).order(ByteOrder.nativeOrder());
    private final Pointer datagramAddress = Pointer.wrap(LibC.runtime(), datagram);
    private long overflows;

    private ProcConnectorEvents(int fd) {
        this.fd = fd;
    }

    /**
     * Subscribes to the host's process events.
     *
     * @throws IOException naming why the kernel will not send them (most often: the agent runs in a container's pid
     *     or user namespace, or without {@code CAP_NET_ADMIN})
     */
    public static ProcConnectorEvents open() throws IOException {
        LibC libc = LibC.load();
        int fd = libc.socket(LibC.AF_NETLINK, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, ProcConnector.NETLINK_CONNECTOR);
        if (fd < 0) {
            throw failure(libc, "socket(AF_NETLINK, NETLINK_CONNECTOR)");
        }
        ProcConnectorEvents events = new ProcConnectorEvents(fd);
        try {
            events.subscribe();
            return events;
        } catch (IOException | RuntimeException e) {
            libc.close(fd);
            throw e;
        }
    }

    private void subscribe() throws IOException {
        byte[] size = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(RECEIVE_BUFFER_BYTES).array();
        // SO_RCVBUFFORCE passes the host's rmem_max (it needs CAP_NET_ADMIN, which listening needs anyway).
        if (libc.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, size, 4) != 0
                && libc.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, size, 4) != 0) {
            throw failure(libc, "setsockopt(SO_RCVBUF)");
        }
        byte[] timeout = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                .putLong(ACKNOWLEDGEMENT_WAIT.toSeconds()).putLong(0).array(); // struct timeval
        if (libc.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, timeout, timeout.length) != 0) {
            throw failure(libc, "setsockopt(SO_RCVTIMEO)");
        }
        byte[] address = ProcConnector.address();
        if (libc.bind(fd, address, address.length) != 0) {
            throw failure(libc, "bind(CN_IDX_PROC)");
        }
        byte[] listen = ProcConnector.listen();
        if (libc.write(fd, listen, listen.length) != listen.length) {
            if (LibC.errno() == LibC.ECONNREFUSED) {
                throw new IOException("the kernel's process-events connector is not in the agent's network namespace: "
                        + "it is in the host's own (the agent runs in a container, or under PrivateNetwork=)");
            }
            throw failure(libc, "PROC_CN_MCAST_LISTEN");
        }
        // Events of other processes may come before the acknowledgement; the first round lists /proc anyway.
        while (true) {
            long n = libc.recv(fd, datagramAddress, DATAGRAM_BYTES, 0);
            if (n < 0) {
                int errno = LibC.errno();
                if (errno == LibC.EAGAIN) {
                    throw new IOException("the kernel did not acknowledge the process-events subscription within "
                            + ACKNOWLEDGEMENT_WAIT.toSeconds() + " s: it answers only a listener in the host's own pid "
                            + "and user namespaces");
                }
                if (errno != LibC.ENOBUFS && errno != LibC.EINTR) {
                    throw failure(libc, "recv");
                }
                continue;
            }
            if (n >= ProcConnector.ACK_ERR + 4 && datagram.getInt(ProcConnector.WHAT) == ProcConnector.EVENT_NONE
                    && datagram.getInt(ProcConnector.CN_MSG_ACK) == 1) {
                int err = datagram.getInt(ProcConnector.ACK_ERR);
                if (err != 0) {
                    throw new IOException("the kernel refused the process-events subscription: " + libc.strerror(err)
                            + (err == LibC.EPERM ? " (it needs CAP_NET_ADMIN)" : ""));
                }
                return;
            }
        }
    }

    @Override
    public boolean readInto(ProcessEventBatch batch) throws IOException {
        boolean complete = true;
        for (int read = 0; read < MOST_READ_A_ROUND; read++) {
            long n = libc.recv(fd, datagramAddress, DATAGRAM_BYTES, LibC.MSG_DONTWAIT);
            if (n >= 0) {
                decode(datagram, (int) n, batch);
                continue;
            }
            int errno = LibC.errno();
            if (errno == LibC.EAGAIN) {
                return complete;
            }
            if (errno == LibC.ENOBUFS) {
                overflows++;
                complete = false;
            } else if (errno != LibC.EINTR) {
                throw failure(libc, "recv of process events");
            }
        }
        return false;
    }

    /**
     * One datagram of {@code length} bytes into the batch; datagrams too short for an event are not events. The
     * sender is not checked: on this protocol only a process with {@code CAP_NET_ADMIN} may send to another socket
     * (an unprivileged one gets EPERM, tried on this project's host), and one that has it could do worse than make
     * discovery look at a process again or think a VM stopped until the next full listing.
     */
    static void decode(ByteBuffer datagram, int length, ProcessEventBatch batch) {
        if (length < ProcConnector.PROCESS_TGID + 4) {
            return;
        }
        long pid = Integer.toUnsignedLong(datagram.getInt(ProcConnector.PROCESS_PID));
        long process = Integer.toUnsignedLong(datagram.getInt(ProcConnector.PROCESS_TGID));
        switch (datagram.getInt(ProcConnector.WHAT)) {
            case ProcConnector.EVENT_EXEC -> batch.execed(process);
            case ProcConnector.EVENT_COMM -> batch.threadsChanged(process);
            case ProcConnector.EVENT_EXIT -> {
                if (pid == process) {
                    batch.ended(process);
                } else {
                    batch.threadsChanged(process);
                }
            }
            default -> {
                // forks, ids, sessions, ptrace, core dumps: nothing discovery follows
            }
        }
    }

    @Override
    public long overflows() {
        return overflows;
    }

    @Override
    public void close() {
        byte[] ignore = ProcConnector.ignore();
        libc.write(fd, ignore, ignore.length); // else the kernel goes on building events for no one
        libc.close(fd);
    }

    private static IOException failure(LibC libc, String call) {
        int errno = LibC.errno();
        return new IOException(call + ": " + libc.strerror(errno));
    }
}
