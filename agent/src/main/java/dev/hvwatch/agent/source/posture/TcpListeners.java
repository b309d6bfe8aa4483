package dev.hvwatch.agent.source.posture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Listening TCP sockets of one network namespace, from {@code net/tcp} and {@code net/tcp6} (proc(5)): each line
 * {@code sl local_address rem_address st … uid timeout inode …}, addresses in hex as the kernel stores them (each
 * 32-bit word in host byte order, little-endian here) and the port in big-endian hex; state {@code 0A} is LISTEN.
 * The inode ties a socket to the processes that hold it ({@code /proc/PID/fd/N -> socket:[inode]}).
 */
public final class TcpListeners {
    private static final String LISTEN = "0A";
    private static final int INODE_FIELD = 9;

    private TcpListeners() {
    }

    /** One listening socket. */
    public record Listener(String address, int port, long inode, boolean allAddresses) {
        /** {@code 0.0.0.0:5900} or {@code [::]:5900}. */
        public String endpoint() {
            return (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
        }
    }

    /** The listeners in {@code netDir/tcp} and {@code netDir/tcp6}; a missing file (no IPv6) has none. */
    public static List<Listener> read(Path netDir) throws UnreadableInput {
        List<Listener> out = new ArrayList<>();
        for (String file : List.of("tcp", "tcp6")) {
            Path path = netDir.resolve(file);
            List<String> lines;
            try {
                lines = Files.readAllLines(path);
            } catch (NoSuchFileException e) {
                continue;
            } catch (IOException e) {
                throw new UnreadableInput(path, "cannot read: " + e.getMessage(), e);
            }
            for (int i = 1; i < lines.size(); i++) { // line 0 is the column header
                Listener l = parseLine(path, i + 1, lines.get(i));
                if (l != null) {
                    out.add(l);
                }
            }
        }
        return out;
    }

    private static Listener parseLine(Path path, int lineNo, String line) throws UnreadableInput {
        String[] f = line.trim().split("\\s+");
        if (f.length <= INODE_FIELD || f[1].indexOf(':') < 0) {
            throw new UnreadableInput(path, "line " + lineNo + ": expected 'sl local rem st … inode', got '"
                    + line.trim() + "'");
        }
        if (!f[3].equalsIgnoreCase(LISTEN)) {
            return null;
        }
        try {
            String[] local = f[1].split(":");
            String address = address(local[0]);
            return new Listener(address, Integer.parseInt(local[1], 16), Long.parseLong(f[INODE_FIELD]),
                    address.equals("0.0.0.0") || address.equals("::") || address.equals("::ffff:0.0.0.0"));
        } catch (IllegalArgumentException e) {
            throw new UnreadableInput(path, "line " + lineNo + ": " + e.getMessage() + " in '" + line.trim() + "'");
        }
    }

    /** The kernel's hex address: 8 digits for IPv4, 32 for IPv6, each 32-bit word little-endian. */
    static String address(String hex) {
        if (hex.length() != 8 && hex.length() != 32) {
            throw new IllegalArgumentException("address '" + hex + "' is neither 8 nor 32 hex digits");
        }
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int b = 0; b < 4; b++) {
                int at = word * 8 + (3 - b) * 2;
                bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        if (bytes.length == 4) {
            return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + "." + (bytes[3] & 0xff);
        }
        return ipv6(bytes);
    }

    /** RFC 5952 text: the longest run of zero groups as {@code ::}, IPv4-mapped addresses as {@code ::ffff:a.b.c.d}. */
    private static String ipv6(byte[] b) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        boolean mapped = groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0 && groups[4] == 0
                && groups[5] == 0xffff;
        if (mapped) {
            return "::ffff:" + (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!s.isEmpty() && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(groups[i]));
        }
        return s.toString().toLowerCase(Locale.ROOT);
    }
}
