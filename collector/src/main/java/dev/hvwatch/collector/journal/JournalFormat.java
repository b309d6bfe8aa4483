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
        String agent = in.readUtf8();
        if (agent == null) {
            throw new IllegalStateException("journal excerpt 0x" + Long.toHexString(index) + " has no agent");
        }
        return agent;
    }

    static JournalEntry read(Bytes<?> in, long index) {
        String agent = readAgent(in, index);
        long seq = in.readLong();
        long length = in.readStopBit();
        if (length < 0 || length > in.readRemaining()) {
            throw new IllegalStateException("journal excerpt 0x" + Long.toHexString(index) + " of agent " + agent
                    + " seq " + seq + " claims " + length + " bytes of JSON but holds " + in.readRemaining());
        }
        byte[] json = new byte[(int) length];
        in.read(json);
        return new JournalEntry(index, agent, seq, json);
    }
}
