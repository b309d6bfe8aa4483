package dev.hvwatch.collector.journal;

import net.openhft.chronicle.bytes.Bytes;

/**
 * The layout of one journal excerpt: {@code agent} (UTF-8, stop-bit length), {@code seq} (int64), then the
 * canonical JSON (stop-bit length and bytes). Agent and seq come first so that recovery reads nothing else.
 */
final class JournalFormat {
    private JournalFormat() {
    }

    static void write(Bytes<?> out, String agent, long seq, byte[] json) {
        out.writeUtf8(agent);
        out.writeLong(seq);
        out.writeStopBit(json.length);
        out.write(json);
    }

    static String readAgent(Bytes<?> in, long index) {
        String agent;
        try {
            agent = in.readUtf8();
        } catch (RuntimeException e) {
            throw new IllegalStateException("journal excerpt 0x" + Long.toHexString(index) + " has no readable agent: "
                    + e.getMessage(), e);
        }
        if (agent == null) {
            throw new IllegalStateException("journal excerpt 0x" + Long.toHexString(index) + " has no agent");
        }
        return agent;
    }

    /** What recovery needs of an excerpt, which must be whole. */
    record Key(String agent, long seq, int jsonLength) {
    }

    /** Agent, seq and the JSON's length, checked against what the excerpt holds; the JSON is next to read. */
    static Key readKey(Bytes<?> in, long index) {
        String agent = readAgent(in, index);
        if (in.readRemaining() < Long.BYTES) {
            throw new IllegalStateException("journal excerpt 0x" + Long.toHexString(index) + " of agent " + agent
                    + " ends before its seq");
        }
        long seq = in.readLong();
        long length = in.readStopBit();
        if (length < 0 || length > in.readRemaining()) {
            throw new IllegalStateException("journal excerpt 0x" + Long.toHexString(index) + " of agent " + agent
                    + " seq " + seq + " claims " + length + " bytes of JSON but holds " + in.readRemaining());
        }
        return new Key(agent, seq, (int) length);
    }

    static JournalEntry read(Bytes<?> in, long index) {
        Key key = readKey(in, index);
        byte[] json = new byte[key.jsonLength()];
        in.read(json);
        return new JournalEntry(index, key.agent(), key.seq(), json);
    }
}
