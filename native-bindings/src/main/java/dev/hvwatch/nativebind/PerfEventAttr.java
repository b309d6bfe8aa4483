package dev.hvwatch.nativebind;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/**
 * {@code struct perf_event_attr} ({@code include/uapi/linux/perf_event.h}) up to {@code PERF_ATTR_SIZE_VER0}, the
 * 64 bytes every kernel since 2.6.31 accepts; hvwatch counts and never samples, so the later fields (branch and
 * register sampling, AUX areas) would stay zero anyway. The C bitfields (disabled, inherit, exclude_*...) share one
 * 64-bit word, {@link #flags}, set with the {@code Perf.ATTR_*} masks.
 */
public final class PerfEventAttr extends Struct {
    /** The value of {@link #size} for this layout. */
    public static final int SIZE_VER0 = 64;

    /** {@code PERF_TYPE_*}: hardware, software, tracepoint, or a dynamic PMU's type. */
    public final Unsigned32 type = new Unsigned32();
    /** Bytes of this struct the caller filled in, so the kernel knows which version of the layout it got. */
    public final Unsigned32 size = new Unsigned32();
    /** Which event of the type: a {@code PERF_COUNT_*} value, or a tracepoint's id from tracefs. */
    public final Unsigned64 config = new Unsigned64();
    /** Union with {@code sample_freq}; 0 means counting mode. */
    public final Unsigned64 samplePeriod = new Unsigned64();
    public final Unsigned64 sampleType = new Unsigned64();
    /** {@code PERF_FORMAT_*}: what a read(2) of the event returns. */
    public final Unsigned64 readFormat = new Unsigned64();
    /** The bitfield word: {@code disabled:1, inherit:1, pinned:1, exclusive:1, exclude_user:1, ...}. */
    public final Unsigned64 flags = new Unsigned64();
    /** Union with {@code wakeup_watermark}. */
    public final Unsigned32 wakeupEvents = new Unsigned32();
    public final Unsigned32 bpType = new Unsigned32();
    /** Union with {@code bp_addr}, {@code kprobe_func}, {@code uprobe_path}. */
    public final Unsigned64 config1 = new Unsigned64();

    public PerfEventAttr(Runtime runtime) {
        super(runtime);
    }

    /** Zeroes every field and sets {@link #size}, so one instance can describe event after event. */
    public void reset() {
        type.set(0);
        size.set(SIZE_VER0);
        config.set(0);
        samplePeriod.set(0);
        sampleType.set(0);
        readFormat.set(0);
        flags.set(0);
        wakeupEvents.set(0);
        bpType.set(0);
        config1.set(0);
    }
}
