package dev.hvwatch.nativebind;

import jnr.ffi.LibraryLoader;

/**
 * The C library calls hvwatch makes directly. Only calls the JDK does not offer belong here; each one is added
 * together with the source that needs it (perf_event_open, ioctl and mmap arrive with the tracepoint source).
 */
public interface LibC {

    /** The calling process's id as the kernel sees it; used to tell the agent's own threads from a guest's. */
    int getpid();

    /** Loads the binding once; jnr-ffi generates the stub at first use. */
    static LibC load() {
        return Holder.INSTANCE;
    }

    /** Lazy holder: loading libc costs a few milliseconds and must not happen in code paths that never call it. */
    final class Holder {
        private static final LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");

        private Holder() {
        }
    }
}
