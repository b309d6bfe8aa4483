package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.Guest;
import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.QemuArgs;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HY-SR-3: the VMs' RAM fits in the host's ({@code MemTotal}), up to a configured ratio. Each VM's RAM is its
 * {@code -m} (QEMU's size syntax, MiB without a suffix; libvirt writes {@code -m size=4194304k}); without one QEMU
 * gives 128 MiB.
 */
public final class MemoryOvercommitCheck implements PostureCheck {
    private static final long MIB = 1L << 20;
    private static final long QEMU_DEFAULT_RAM = 128 * MIB;

    private final double ratio;

    public MemoryOvercommitCheck(double ratio) {
        this.ratio = ratio;
    }

    @Override
    public String id() {
        return "memory-overcommit";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        long guests = 0;
        for (Guest g : host.guests()) {
            guests += ramBytes(g);
        }
        long hostRam = host.memTotalBytes();
        if (guests <= ratio * hostRam) {
            return List.of(Outcome.pass(id(), null));
        }
        return List.of(Outcome.fail(id(), null, String.format(Locale.ROOT, "VMs are given %s of RAM, %.0f%% of the "
                                + "host's %s (limit %.0f%%): under memory pressure the host swaps or kills guests.",
                        gib(guests), 100.0 * guests / hostRam, gib(hostRam), 100 * ratio),
                "Move VMs to other hosts or give them less memory, so that their total fits in the host's RAM "
                        + "(posture.memoryOvercommitRatio sets the accepted share).",
                Map.of("guest_ram_bytes", guests, "host_ram_bytes", hostRam, "ratio_limit", ratio)));
    }

    /** The VM's RAM: its last {@code -m} size, or QEMU's default. */
    public static long ramBytes(Guest guest) throws UnreadableInput {
        List<Map<String, String>> m = guest.args().properties("m");
        if (m.isEmpty()) {
            return QEMU_DEFAULT_RAM;
        }
        Map<String, String> last = m.get(m.size() - 1);
        String size = last.getOrDefault("size", last.get(QemuArgs.IMPLIED));
        try {
            return size(size);
        } catch (IllegalArgumentException e) {
            throw new UnreadableInput(guest.procDir().resolve("cmdline"), "-m " + size + ": " + e.getMessage());
        }
    }

    /** QEMU's sizes: a number with an optional K, M, G, T, P or E suffix (any case), MiB without one. */
    static long size(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("no size");
        }
        char last = Character.toUpperCase(text.charAt(text.length() - 1));
        int shift = switch (last) {
            case 'B' -> 0;
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            case 'P' -> 50;
            case 'E' -> 60;
            default -> -1;
        };
        String number = shift < 0 ? text : text.substring(0, text.length() - 1);
        try {
            return (long) (Double.parseDouble(number) * (1L << (shift < 0 ? 20 : shift)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size (a number, optionally with K, M, G or T)");
        }
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
