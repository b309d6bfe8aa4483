package dev.hvwatch.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every guest that is still running, keyed by start order. The order lets {@link GuestCleanupExtension}
 * tell guests started during one test from those a surrounding scope owns; the shutdown hook is the last
 * line of defence for code that runs without the extension (the agent's demo mode, a JVM stopped mid-test).
 */
final class GuestRegistry {

    private static final AtomicLong SERIAL = new AtomicLong();
    private static final ConcurrentSkipListMap<Long, AutoCloseable> LIVE = new ConcurrentSkipListMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeStartedAfter(0), "hvwatch-guest-reaper"));
    }

    private GuestRegistry() {
    }

    /** A QEMU process or a libvirt domain: whatever its close() stops. */
    static void add(AutoCloseable guest) {
        LIVE.put(SERIAL.incrementAndGet(), guest);
    }

    static void remove(AutoCloseable guest) {
        LIVE.values().remove(guest);
    }

    /** A point in start order; guests started later are "started after" it. */
    static long mark() {
        return SERIAL.get();
    }

    /**
     * Closes every live guest started after {@code mark}. Keeps going past a failed close so that one
     * undeletable file does not leave the other guests running; the first failure is rethrown.
     */
    static void closeStartedAfter(long mark) {
        List<RuntimeException> failures = new ArrayList<>();
        for (AutoCloseable guest : List.copyOf(LIVE.tailMap(mark, false).values())) {
            try {
                guest.close();
            } catch (RuntimeException e) {
                failures.add(e);
            } catch (Exception e) {
                failures.add(new IllegalStateException("could not stop " + guest, e));
            }
        }
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }
}
