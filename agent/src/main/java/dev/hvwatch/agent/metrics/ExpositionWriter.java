package dev.hvwatch.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.NamingConvention;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;

/**
 * The Prometheus text exposition (format 0.0.4) of a Micrometer registry: the same text, byte for byte, as
 * {@link PrometheusMeterRegistry#scrape()} writes (families in name order, series in label order, the library's
 * number formatting and escaping), held to it by {@code ExpositionWriterTest}.
 * <p>
 * Hand-rolled beside the library, not instead of it: the library converts every meter into a snapshot on every
 * scrape (naming, label validation and sorting, escaping), about 12 µs a series on the agent's C1-compiled JVM,
 * which made serving /metrics once a second the agent's costliest thread (BENCHMARKS.md, "Agent footprint"). Here a
 * series' name and labels are rendered once, when the registry's meters change, and a scrape writes those bytes and
 * the current values. A meter of a kind this does not render (only counters, function counters, gauges and timers
 * without percentiles or buckets) sends the whole scrape to the library instead, so no series is ever left out.
 */
final class ExpositionWriter {
    private final PrometheusMeterRegistry registry;
    /**
     * The registry's meters, kept from its listeners rather than copied from it at each scrape (a copy of its map
     * was a sixth of a scrape); {@code changes} counts the updates, after each is made.
     */
    private final Map<Meter.Id, Meter> meters = new ConcurrentHashMap<>();
    private final AtomicLong changes = new AtomicLong();
    private volatile Layout layout = Layout.of(-1, List.of(), NamingConvention.identity);

    ExpositionWriter(PrometheusMeterRegistry registry) {
        this.registry = registry;
        registry.config().onMeterAdded(this::added).onMeterRemoved(this::removed);
        // After subscribing: a meter registered in between is put twice, harmlessly.
        registry.getMeters().forEach(this::added);
    }

    private void added(Meter meter) {
        meters.put(meter.getId(), meter);
        changes.incrementAndGet();
    }

    private void removed(Meter meter) {
        meters.remove(meter.getId(), meter);
        changes.incrementAndGet();
    }

    void write(OutputStream out) throws IOException {
        Layout current = current();
        if (current.complete()) {
            current.write(out);
        } else {
            registry.scrape(out);
        }
    }

    /** Whether the registry's meters as they are now are all rendered here (else scrapes go to the library). */
    boolean rendersEverything() {
        return current().complete();
    }

    /**
     * The layout of the registry's meters now, made again after they changed. Two scrapes racing may both make it;
     * an older one stored last is only made again at the next scrape.
     */
    private Layout current() {
        long seen = changes.get();
        Layout current = layout;
        if (current.changes() != seen) {
            current = Layout.of(seen, List.copyOf(meters.values()), registry.config().namingConvention());
            layout = current;
        }
        return current;
    }

    /** The registry's meters rendered as families in name order; {@code complete} unless one could not be. */
    private record Layout(long changes, List<Family> families, boolean complete) {
        static Layout of(long changes, List<Meter> meters, NamingConvention naming) {
            Map<String, Family> families = new TreeMap<>();
            boolean complete = true;
            for (Meter meter : meters) {
                complete &= add(meter, naming, families);
            }
            for (Family family : families.values()) {
                complete &= family.sort();
            }
            return new Layout(changes, List.copyOf(families.values()), complete);
        }

        void write(OutputStream out) throws IOException {
            for (Family family : families) {
                family.write(out);
            }
        }

        /**
         * Adds the meter's series to their families; false for a kind of meter not rendered here, or one whose name
         * another kind of meter already took (which the library refuses to register).
         */
        private static boolean add(Meter meter, NamingConvention naming, Map<String, Family> families) {
            Meter.Id id = meter.getId();
            String name = naming.name(id.getName(), id.getType(), id.getBaseUnit());
            Labels labels = labels(id, naming);
            String help = id.getDescription();
            DoubleSupplier count = meter instanceof Counter c ? c::count
                    : meter instanceof FunctionCounter f ? f::count : null;
            if (count != null) {
                return put(families, name, name + "_total", "counter", help, labels,
                        Line.of(name + "_total", labels, count));
            } else if (meter instanceof Gauge && id.getName().endsWith(".info")) {
                // Micrometer makes an info metric of such a gauge: its labels are the facts, its value always 1.
                return put(families, name, name + "_info", "gauge", help, labels,
                        Line.ofCount(name + "_info", labels, () -> 1));
            } else if (meter instanceof TimeGauge gauge) {
                return put(families, name, name, "gauge", help, labels,
                        Line.of(name, labels, () -> gauge.value(TimeUnit.SECONDS)));
            } else if (meter instanceof Gauge gauge) {
                return put(families, name, name, "gauge", help, labels, Line.of(name, labels, gauge::value));
            } else if (meter instanceof Timer timer && plain(timer.takeSnapshot())) {
                return put(families, name, name, "summary", help, labels,
                        Line.ofCount(name + "_count", labels, timer::count),
                        Line.of(name + "_sum", labels, () -> timer.totalTime(TimeUnit.SECONDS)))
                        & put(families, name + "_max", name + "_max", "gauge", help, labels,
                        Line.of(name + "_max", labels, () -> timer.max(TimeUnit.SECONDS)));
            }
            return false;
        }

        private static boolean plain(HistogramSnapshot snapshot) {
            return snapshot.percentileValues().length == 0 && snapshot.histogramCounts().length == 0;
        }

        /** Adds a series to the family sorted under {@code key}; false if that family has another name or type. */
        private static boolean put(Map<String, Family> families, String key, String name, String type,
                                   String help, Labels labels, Line... lines) {
            String nameAndType = name + " " + type;
            Family family = families.computeIfAbsent(key, k -> new Family(nameAndType, header(name, type, help)));
            return family.add(nameAndType, labels, lines);
        }

        /**
         * The library writes no HELP line for an empty description; Micrometer gives it a single space for a meter
         * without one.
         */
        private static byte[] header(String name, String type, String description) {
            String help = description == null ? " " : description;
            return ((help.isEmpty() ? "" : "# HELP " + name + " " + escapeHelp(help) + "\n")
                    + "# TYPE " + name + " " + type + "\n").getBytes(StandardCharsets.UTF_8);
        }

        private static Labels labels(Meter.Id id, NamingConvention naming) {
            List<String> names = new ArrayList<>();
            List<String> values = new ArrayList<>();
            for (Tag tag : id.getTagsAsIterable()) {
                names.add(naming.tagKey(tag.getKey()));
                values.add(naming.tagValue(tag.getValue()));
            }
            return Labels.of(names, values);
        }
    }

    /** One metric family: its HELP and TYPE lines, then its series in label order. */
    private static final class Family {
        private final String nameAndType;
        private final byte[] header;
        private final List<Series> series = new ArrayList<>();

        Family(String nameAndType, byte[] header) {
            this.nameAndType = nameAndType;
            this.header = header;
        }

        /** False, adding nothing, for a series of another name or type than the family's. */
        boolean add(String seriesNameAndType, Labels labels, Line... lines) {
            if (!nameAndType.equals(seriesNameAndType)) {
                return false;
            }
            series.add(new Series(labels, lines));
            return true;
        }

        /** Puts the series in label order; false if two have the same labels (two meters under one name). */
        boolean sort() {
            series.sort(Comparator.comparing(Series::labels));
            for (int i = 1; i < series.size(); i++) {
                if (series.get(i - 1).labels().compareTo(series.get(i).labels()) == 0) {
                    return false;
                }
            }
            return true;
        }

        void write(OutputStream out) throws IOException {
            out.write(header);
            for (Series s : series) {
                for (Line line : s.lines()) {
                    line.write(out);
                }
            }
        }
    }

    private record Series(Labels labels, Line[] lines) {
    }

    /** One sample line: its name and labels rendered once, its value read at each scrape. */
    private record Line(byte[] prefix, DoubleSupplier value, boolean count) {
        static Line of(String name, Labels labels, DoubleSupplier value) {
            return new Line(prefix(name, labels), value, false);
        }

        /** A summary's count, which the library writes as an integer. */
        static Line ofCount(String name, Labels labels, DoubleSupplier value) {
            return new Line(prefix(name, labels), value, true);
        }

        void write(OutputStream out) throws IOException {
            out.write(prefix);
            double v = value.getAsDouble();
            out.write(ascii(count ? Long.toString((long) v) : number(v)));
            out.write('\n');
        }

        private static byte[] prefix(String name, Labels labels) {
            StringBuilder text = new StringBuilder(name);
            if (labels.size() > 0) {
                text.append('{');
                for (int i = 0; i < labels.size(); i++) {
                    text.append(i == 0 ? "" : ",").append(labels.getPrometheusName(i)).append("=\"");
                    escapeLabelValue(labels.getValue(i), text);
                    text.append('"');
                }
                text.append('}');
            }
            return text.append(' ').toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    /** As the text format writes a double: Java's shortest representation, and {@code +Inf} for infinity. */
    private static String number(double v) {
        if (v == Double.POSITIVE_INFINITY) {
            return "+Inf";
        }
        return v == Double.NEGATIVE_INFINITY ? "-Inf" : Double.toString(v);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String escapeHelp(String help) {
        return help.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static void escapeLabelValue(String value, StringBuilder to) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> to.append("\\\\");
                case '"' -> to.append("\\\"");
                case '\n' -> to.append("\\n");
                default -> to.append(c);
            }
        }
    }
}
