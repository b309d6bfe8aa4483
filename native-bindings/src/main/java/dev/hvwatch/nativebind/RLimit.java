package dev.hvwatch.nativebind;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct rlimit}: two {@code rlim_t}, which is an unsigned long on 64-bit Linux. */
public final class RLimit extends Struct {
    /** {@code RLIM_INFINITY}: all bits set, which reads as -1 through a Java long. */
    public static final long INFINITY = -1L;

    public final Unsigned64 soft = new Unsigned64();
    public final Unsigned64 hard = new Unsigned64();

    public RLimit(Runtime runtime) {
        super(runtime);
    }
}
