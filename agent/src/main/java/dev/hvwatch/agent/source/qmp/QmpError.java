package dev.hvwatch.agent.source.qmp;

/** Why a QMP conversation failed: the {@code reason} label of {@code hvwatch_qmp_errors_total}. */
public enum QmpError {
    /** The socket path does not exist: QEMU has not created it yet, or it was removed. */
    NO_SOCKET("no_socket"),
    /** Nobody listens on the socket: QEMU is gone and left the file behind. */
    REFUSED("refused"),
    /**
     * Connected, but no greeting within the timeout: another client holds the monitor (QEMU serves one client per
     * monitor and leaves the others in its listen queue), or QEMU's main loop is stuck.
     */
    BUSY("busy"),
    /** A command got no reply within the timeout. */
    TIMEOUT("timeout"),
    /** QEMU closed the connection: the VM exited, or the monitor was reset. */
    CLOSED("closed"),
    /** A message that is not QMP: not JSON, too long, or an answer hvwatch cannot read. */
    PROTOCOL("protocol"),
    /** QEMU answered a command with an error, e.g. query-stats on QEMU before 7.1. */
    COMMAND("command"),
    /** Any other socket error (permissions, a path longer than a socket address holds). */
    IO("io");

    private final String label;

    QmpError(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
