package dev.hvwatch.agent.source.kmsg;

/**
 * One {@code /dev/kmsg} record (Documentation/ABI/testing/dev-kmsg): {@code PRI,SEQ,USEC,FLAGS[,…];MESSAGE},
 * optionally followed by continuation lines {@code " KEY=VALUE"} that are not part of the message.
 * PRI is facility × 8 + level. Userspace may write records too, but the kernel gives them facility 1 (user) or
 * higher: only facility 0 is the kernel's own word.
 */
public record KmsgRecord(int facility, int level, long seq, long usec, String message) {
    private static final int KERNEL_FACILITY = 0;

    public boolean fromKernel() {
        return facility == KERNEL_FACILITY;
    }

    /** Parses one record as read from /dev/kmsg (one read returns one record). */
    public static KmsgRecord parse(String raw) throws KmsgFormatException {
        int semicolon = raw.indexOf(';');
        if (semicolon < 0) {
            throw new KmsgFormatException("no ';' between prefix and message in '" + shorten(raw) + "'");
        }
        String[] prefix = raw.substring(0, semicolon).split(",");
        if (prefix.length < 4) {
            throw new KmsgFormatException("expected 'PRI,SEQ,USEC,FLAGS;' but got '" + shorten(raw) + "'");
        }
        long pri = number(prefix[0], "PRI", raw);
        long seq = number(prefix[1], "SEQ", raw);
        long usec = number(prefix[2], "USEC", raw);
        int end = raw.indexOf('\n', semicolon);
        String message = raw.substring(semicolon + 1, end < 0 ? raw.length() : end);
        return new KmsgRecord((int) (pri >> 3), (int) (pri & 7), seq, usec, message);
    }

    private static long number(String field, String name, String raw) throws KmsgFormatException {
        try {
            long v = Long.parseLong(field);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below with the record
        }
        throw new KmsgFormatException(name + " is not a non-negative number in '" + shorten(raw) + "'");
    }

    private static String shorten(String raw) {
        String line = raw.strip();
        return line.length() <= 120 ? line : line.substring(0, 120) + "…";
    }
}
