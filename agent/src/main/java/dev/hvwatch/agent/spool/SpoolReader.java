package dev.hvwatch.agent.spool;

import dev.hvwatch.protocol.EncodedAlert;
import java.util.ArrayList;
import java.util.List;
import net.openhft.chronicle.queue.ExcerptTailer;

/** Reads spooled alerts in seq order, e.g. for a shipper to send; one reader, one thread. */
public final class SpoolReader {
    private final Spool spool;
    private final ExcerptTailer tailer;

    SpoolReader(Spool spool, ExcerptTailer tailer) {
        this.spool = spool;
        this.tailer = tailer;
    }

    /** Positions the reader at the first alert with a seq above {@code seq}. */
    public void seekAfter(long seq) {
        tailer.toStart();
        spool.skipThrough(tailer, seq);
    }

    /**
     * Up to {@code max} alerts after the previous ones read, skipping any with a seq up to {@code settledSeq}, each
     * with the JSON it was spooled as. A record whose JSON is no alert is counted as lost by the spool and skipped.
     */
    public List<EncodedAlert> next(int max, long settledSeq) {
        List<EncodedAlert> batch = new ArrayList<>(Math.min(max, 1024));
        for (SpoolRecord record; batch.size() < max && (record = spool.next(tailer)) != null; ) {
            if (record.seq() > settledSeq) {
                try {
                    batch.add(record.encoded());
                } catch (SpoolRecord.CorruptRecord e) {
                    spool.countUnreadable(tailer.lastReadIndex(), e.getMessage());
                }
            }
        }
        return batch;
    }

    void close() {
        tailer.close();
    }
}
