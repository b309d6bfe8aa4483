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

    /** @throws CorruptRecord when the JSON is no canonical alert */
    Alert alert() {
        try {
            return AlertJson.parse(new String(json, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new CorruptRecord("seq " + seq + ": " + e.getMessage());
        }
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

    /** @throws CorruptRecord when the excerpt is too short to hold a seq, or the seq is not positive */
    static long readSeq(Bytes<?> in) {
        if (in.readRemaining() < 2 * Long.BYTES) {
            throw new CorruptRecord("an excerpt of " + in.readRemaining() + " bytes holds no spooled alert");
        }
        long seq = in.readLong(in.readPosition());
        if (seq <= 0) {
            throw new CorruptRecord("seq " + seq + " (a zero-filled excerpt: written when the disk was full?)");
        }
        return seq;
    }

    /** @throws CorruptRecord when the excerpt is not a spooled alert's layout */
    static SpoolRecord readFrom(Bytes<?> in) {
        long seq = readSeq(in);
        in.readSkip(Long.BYTES);
        long spooledAt = in.readLong();
        long length = in.readRemaining() > 0 ? in.readStopBit() : -1;
        if (length < 0 || length > in.readRemaining()) {
            throw new CorruptRecord("seq " + seq + " claims " + length + " bytes of JSON but holds "
                    + in.readRemaining());
        }
        byte[] json = new byte[(int) length];
        in.read(json);
        return new SpoolRecord(seq, spooledAt, json);
    }

    /** An excerpt that is no spooled alert: the spool counts it as lost and reads on. */
    static final class CorruptRecord extends RuntimeException {
        CorruptRecord(String message) {
            super(message, null, false, false);
        }
    }
}
