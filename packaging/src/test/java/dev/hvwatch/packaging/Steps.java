package dev.hvwatch.packaging;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** The named steps of a long test, each printed as it starts and ends with its duration, and a summary at the end. */
final class Steps {
    private final long start = System.nanoTime();
    private final List<String> timings = new ArrayList<>();

    interface Body {
        void run() throws Exception;
    }

    void step(String name, Body body) throws Exception {
        step(name, () -> {
            body.run();
            return null;
        });
    }

    <T> T step(String name, Callable<T> body) throws Exception {
        System.out.printf("[system test] %5.1f s  %s ...%n", seconds(start), name);
        long began = System.nanoTime();
        T result = body.call();
        timings.add(String.format("%6.1f s  %s", seconds(began), name));
        System.out.printf("[system test] %5.1f s  %s: done in %.1f s%n", seconds(start), name, seconds(began));
        return result;
    }

    /** Each step's duration and the total, one per line. */
    String summary() {
        return String.join("\n", timings) + String.format("%n%6.1f s  in all", seconds(start));
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
