package dev.hvwatch.agent.spool;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.EncodedAlert;
import java.nio.charset.StandardCharsets;
import net.openhft.chronicle.bytes.Bytes;

/**
 * One spooled alert: {@code seq} (int64), the time it was spooled (epoch ms, int64), then its canonical JSON
 * (stop-bit length and bytes), which carries the same seq. The seq is stored rather than derived from the queue
 * index because indexes jump at every roll of the queue's files, and seqs must not.
 */
record SpoolRecord(long seq, long spooledAtMillis, byte[] json) {

    Alert alert() {
        return AlertJson.parse(new String(json, StandardCharsets.UTF_8));
    }

    EncodedAlert encoded() {
        return new EncodedAlert(alert(), json);
    }

    void writeTo(Bytes<?> out) {
        out.writeLong(seq);
        out.writeLong(spooledAtMillis);
        out.writeStopBit(json.length);
        out.write(json);
    }

    static long readSeq(Bytes<?> in) {
        return in.readLong(in.readPosition());
    }

    static SpoolRecord readFrom(Bytes<?> in, long index) {
        long seq = in.readLong();
        long spooledAt = in.readLong();
        long length = in.readStopBit();
        if (length < 0 || length > in.readRemaining()) {
            throw new IllegalStateException("spool excerpt 0x" + Long.toHexString(index) + " (seq " + seq
                    + ") claims " + length + " bytes of JSON but holds " + in.readRemaining());
        }
        byte[] json = new byte[(int) length];
        in.read(json);
        return new SpoolRecord(seq, spooledAt, json);
    }
}
