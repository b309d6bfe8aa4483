package dev.hvwatch.nativebind;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The kernel's process events connector ({@code include/uapi/linux/cn_proc.h}, {@code connector.h},
 * {@code netlink.h}): a netlink socket of protocol {@link #NETLINK_CONNECTOR} bound to group {@link #CN_IDX_PROC}
 * receives one datagram per fork, exec, exit or rename on the host once {@link #listen()} is sent. The layout of a
 * datagram: a {@code nlmsghdr} (16 bytes), a {@code cn_msg} (20), then a {@code proc_event}: {@code what},
 * {@code cpu}, {@code timestamp_ns}, and from {@link #EVENT_DATA} the event's own fields, all in the host's byte
 * order. The kernel sends these only to listeners in the initial user and pid namespaces holding
 * {@code CAP_NET_ADMIN}, and answers a listen request with an acknowledgement ({@link #EVENT_NONE}) carrying an
 * error number.
 */
public final class ProcConnector {
    public static final int NETLINK_CONNECTOR = 11;
    /** {@code CN_IDX_PROC}, {@code CN_VAL_PROC}: the connector's id for process events, also its multicast group. */
    public static final int CN_IDX_PROC = 1;
    public static final int CN_VAL_PROC = 1;

    /** {@code enum what}: the events the agent reads. */
    public static final int EVENT_NONE = 0;
    public static final int EVENT_EXEC = 0x2;
    public static final int EVENT_COMM = 0x200;
    public static final int EVENT_EXIT = 0x80000000;

    /** Offsets in a datagram: {@code cn_msg.ack}, {@code proc_event.what} and its event data. */
    public static final int CN_MSG_ACK = 16 + 12;
    public static final int WHAT = 16 + 20;
    public static final int EVENT_DATA = WHAT + 16;
    /** Within the event data: the ack's error number; the pid and thread-group id of exec, exit and comm events. */
    public static final int ACK_ERR = EVENT_DATA;
    public static final int PROCESS_PID = EVENT_DATA;
    public static final int PROCESS_TGID = EVENT_DATA + 4;


    private static final int MCAST_LISTEN = 1;
    private static final int MCAST_IGNORE = 2;
    private static final short NLMSG_DONE = 3;

    private ProcConnector() {
    }

    /** The request to start receiving events; acknowledged with {@code cn_msg.ack} 1. */
    public static byte[] listen() {
        return request(MCAST_LISTEN);
    }

    /** The request to stop: the kernel then stops building events nobody else reads. */
    public static byte[] ignore() {
        return request(MCAST_IGNORE);
    }

    private static byte[] request(int op) {
        ByteBuffer b = ByteBuffer.allocate(16 + 20 + 4).order(ByteOrder.nativeOrder());
        b.putInt(16 + 20 + 4).putShort(NLMSG_DONE).putShort((short) 0).putInt(0).putInt(0); // nlmsghdr
        b.putInt(CN_IDX_PROC).putInt(CN_VAL_PROC).putInt(0).putInt(0).putShort((short) 4).putShort((short) 0); // cn_msg
        b.putInt(op);
        return b.array();
    }

    /** {@code struct sockaddr_nl} for {@code bind(2)}: the kernel picks the port id; a member of the process group. */
    public static byte[] address() {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder());
        return b.putShort((short) LibC.AF_NETLINK).putShort((short) 0).putInt(0).putInt(CN_IDX_PROC).array();
    }
}
