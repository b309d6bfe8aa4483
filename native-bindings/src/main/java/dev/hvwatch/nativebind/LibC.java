package dev.hvwatch.nativebind;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The C library calls hvwatch makes directly. Only calls the JDK does not offer belong here: the JDK cannot read
 * or close a descriptor it did not open, nor change resource limits. Calls that fail return -1 and leave the
 * reason in {@link #errno()}. perf_event_open itself is in {@link Perf}.
 */
public interface LibC {

    /** {@code RLIMIT_NOFILE} in {@code asm-generic/resource.h}, the same on every architecture hvwatch runs on. */
    int RLIMIT_NOFILE = 7;

    /** errno values the callers tell apart ({@code asm-generic/errno-base.h}). */
    int EPERM = 1;
    int ENOENT = 2;
    int ESRCH = 3;
    int EINTR = 4;
    int EACCES = 13;
    int EINVAL = 22;
    int ENFILE = 23;
    int EMFILE = 24;
    int EAGAIN = 11;
    int ENOBUFS = 105;
    int ECONNREFUSED = 111;

    /** {@code socket(2)} and {@code setsockopt(2)} values the agent uses (Linux, every architecture it runs on). */
    int AF_NETLINK = 16;
    int SOCK_DGRAM = 2;
    int SOCK_CLOEXEC = 0x80000;
    int SOL_SOCKET = 1;
    int SO_RCVBUF = 8;
    int SO_RCVTIMEO = 20;
    int SO_RCVBUFFORCE = 33;
    /** {@code recv(2)} flag: return at once with EAGAIN when nothing is queued. */
    int MSG_DONTWAIT = 0x40;

    /** The calling process's id as the kernel sees it; used to tell the agent's own threads from a guest's. */
    int getpid();

    /** Reads into native memory, so that a caller reusing one buffer reads without allocating. */
    @SaveError
    long read(int fd, Pointer buffer, long count);

    @SaveError
    int close(int fd);

    /** For the sockets the JDK cannot open: netlink (see {@link ProcConnector}). */
    @SaveError
    int socket(int domain, int type, int protocol);

    @SaveError
    int bind(int fd, @In byte[] address, int length);

    @SaveError
    int setsockopt(int fd, int level, int option, @In byte[] value, int length);

    @SaveError
    long write(int fd, @In byte[] buffer, long count);

    /** One datagram into native memory; {@code flags} such as {@link #MSG_DONTWAIT}. */
    @SaveError
    long recv(int fd, Pointer buffer, long length, int flags);

    /** Gives back memory a library call returned for the caller to free (libvirt's strings). */
    void free(Pointer memory);

    /** The ioctls whose argument is a number (or none). */
    @SaveError
    int ioctl(int fd, long request, long argument);

    /** The ioctls whose argument is a NUL-terminated string, such as {@link Perf#IOC_SET_FILTER}. */
    @SaveError
    int ioctl(int fd, long request, String argument);

    @SaveError
    int getrlimit(int resource, @Out RLimit limit);

    @SaveError
    int setrlimit(int resource, @In RLimit limit);

    /** The C library's message for an errno value, as in "Permission denied". */
    String strerror(int errno);

    /** Loads the binding once; jnr-ffi generates the stub at first use. */
    static LibC load() {
        return Holder.INSTANCE;
    }

    /** The errno the calling thread's last {@code @SaveError} call left; jnr-ffi keeps it per thread. */
    static int errno() {
        return LastError.getLastError(runtime());
    }

    /** The runtime structs passed to these calls are laid out for. */
    static Runtime runtime() {
        return Runtime.getRuntime(Holder.INSTANCE);
    }

    /** Lazy holder: loading libc costs a few milliseconds and must not happen in code paths that never call it. */
    final class Holder {
        private static final LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");

        private Holder() {
        }
    }
}
