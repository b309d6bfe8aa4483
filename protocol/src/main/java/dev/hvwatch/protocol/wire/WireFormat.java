package dev.hvwatch.protocol.wire;

/** Constants of the frame layout shared by {@link FrameEncoder} and {@link FrameDecoder}. */
public final class WireFormat {
    public static final int VERSION = 1;
    public static final int DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

    static final int LENGTH_BYTES = 4;
    /** Version and type: the part of every frame after the length that is not payload. */
    static final int HEADER_BYTES = 2;

    private WireFormat() {
    }
}
