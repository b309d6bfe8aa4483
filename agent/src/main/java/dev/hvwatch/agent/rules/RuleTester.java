package dev.hvwatch.agent.rules;

import dev.hvwatch.agent.alert.AlertFactory;
import dev.hvwatch.agent.ring.Notice;
import dev.hvwatch.agent.ring.Series;
import dev.hvwatch.agent.rules.attribution.Attribution;
import dev.hvwatch.agent.rules.attribution.InterferenceSink;
import dev.hvwatch.agent.source.CpuList;
import dev.hvwatch.agent.vm.Vm;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertTime;
import dev.hvwatch.protocol.config.ConfigException;
import dev.hvwatch.protocol.config.Durations;
import dev.hvwatch.protocol.config.StrictYaml;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs a {@link RuleTestFile}: drives a {@link RuleEngine} with the synthetic input, one sampling round per
 * interval (sources, then TICK), and compares the alerts it raises with the expected ones — all of them, in order,
 * with their times. {@code hvwatch-agent rules test FILE…} prints the results.
 */
public final class RuleTester {
    private static final long T0 = 1_000_000_000_000_000_000L;

    private RuleTester() {
    }

    /** The outcome of one test case. */
    public record Result(String file, String name, List<String> problems) {
        public boolean passed() {
            return problems.isEmpty();
        }
    }

    public static List<Result> run(Path testFile) throws ConfigException {
        RuleTestFile file = StrictYaml.load(testFile, RuleTestFile.class);
        if (file == null) {
            throw new ConfigException(testFile + ": no tests");
        }
        List<Path> ruleFiles = new ArrayList<>();
        for (String f : file.ruleFiles()) {
            if (!f.equals("default")) {
                ruleFiles.add(testFile.toAbsolutePath().getParent().resolve(f));
            }
        }
        RulePack pack = RulePack.load(ruleFiles);
        List<Result> results = new ArrayList<>();
        for (RuleTestFile.Case c : file.tests()) {
            results.add(new Result(testFile.toString(), c.name(), runCase(c, pack, file)));
        }
        return results;
    }

    private static List<String> runCase(RuleTestFile.Case c, RulePack pack, RuleTestFile file) throws ConfigException {
        long interval = file.interval().toNanos();
        List<Alert> raised = new ArrayList<>();
        SyntheticHost host = new SyntheticHost(file.hostCpus());
        RuleEngine engine = new RuleEngine(pack, new AlertFactory("test-host"), raised::add, file.hostCpus(),
                firing -> { }, new Attribution(host, Attribution.DEFAULT_INTERVAL,
                        Attribution.DEFAULT_INTERFERENCE_FLOOR, InterferenceSink.NONE));
        Map<String, Vm> vms = new HashMap<>();
        String where = "test '" + c.name() + "': ";
        for (RuleTestFile.VmSpec v : c.vms()) {
            Vm vm = new Vm(1000 + vms.size(), 1, v.name(), "", v.vcpus(), Optional.empty(), true, List.of());
            vms.put(v.name(), vm);
            host.vm(vm, v.cpus() == null ? host.allCpus() : cpus(where + "VM " + v.name(), v.cpus()));
            engine.onVmStarted(vm);
        }
        List<Feed> feeds = new ArrayList<>();
        for (RuleTestFile.Input in : c.input()) {
            feeds.add(feed(c, in, vms, host));
        }
        long steps = c.duration() != null ? c.duration().toNanos() / interval + 1 : lastStep(c, feeds, interval) + 1;
        for (long i = 0; i < steps; i++) {
            long now = T0 + i * interval;
            for (Feed f : feeds) {
                f.step(engine, i, now, now - interval);
            }
            engine.onTick(now);
        }
        return compare(c.expect(), raised);
    }

    private static long lastStep(RuleTestFile.Case c, List<Feed> feeds, long interval) {
        long last = 0;
        for (Feed f : feeds) {
            last = Math.max(last, f.lastStep(interval));
        }
        for (RuleTestFile.Expected e : c.expect()) {
            last = Math.max(last, e.at().toNanos() / interval);
        }
        return last;
    }

    /** One input's events, step by step. */
    private interface Feed {
        void step(RuleEngine engine, long i, long now, long previous);

        long lastStep(long interval);
    }

    private static Feed feed(RuleTestFile.Case c, RuleTestFile.Input in, Map<String, Vm> vms, SyntheticHost host)
            throws ConfigException {
        String where = "test '" + c.name() + "': ";
        if (in.process() != null && in.runShare() != null) {
            host.process(in.process(), in.cpus() == null ? host.allCpus() : cpus(where + in.process(), in.cpus()));
            double[] shares = SeriesNotation.expand(where + "run_share", in.runShare());
            return new Feed() {
                @Override
                public void step(RuleEngine engine, long i, long now, long previous) {
                    if (i > 0 && i - 1 < shares.length && !Double.isNaN(shares[(int) i - 1])) {
                        host.processRan(in.process(), (long) (shares[(int) i - 1] * (now - previous)));
                    }
                }

                @Override
                public long lastStep(long interval) {
                    return shares.length;
                }
            };
        }
        if (in.vcpu() != null && in.waitShare() != null) {
            VcpuRef ref = vcpu(where, in.vcpu(), vms);
            double[] shares = SeriesNotation.expand(where + "wait_share", in.waitShare());
            double[] runnable = in.runnable() == null ? null : SeriesNotation.expand(where + "runnable", in.runnable());
            return new Feed() {
                long run;
                long wait;
                boolean awake = true;

                @Override
                public void step(RuleEngine engine, long i, long now, long previous) {
                    if (i > 0 && i - 1 < shares.length && !Double.isNaN(shares[(int) i - 1])) {
                        double runnableShare = runnable != null && i - 1 < runnable.length ? runnable[(int) i - 1] : 1;
                        long runnableNanos = (long) (runnableShare * (now - previous));
                        wait += (long) (shares[(int) i - 1] * runnableNanos);
                        run += runnableNanos - (long) (shares[(int) i - 1] * runnableNanos);
                        awake = runnableShare >= 1;
                    }
                    if (i <= shares.length) {
                        engine.onSchedstat(ref.vm(), ref.vcpu(), now, run, wait, awake);
                        host.vcpu(ref.vm(), ref.vcpu(), run, wait);
                    }
                }

                @Override
                public long lastStep(long interval) {
                    return shares.length;
                }
            };
        }
        if (in.metric() != null) {
            double[] values = SeriesNotation.expand(where + in.metric(), Objects.requireNonNullElse(in.values(), ""));
            VcpuRef ref = in.vcpu() != null ? vcpu(where, in.vcpu(), vms)
                    : new VcpuRef(in.vm() == null ? null : vm(where, in.vm(), vms), -1);
            boolean counter = in.metric().endsWith("_total");
            Series series = new Series(counter ? in.metric().substring(0, in.metric().length() - "_total".length())
                    : in.metric(), "rule test input", null, counter, in.labels());
            return new Feed() {
                @Override
                public void step(RuleEngine engine, long i, long now, long previous) {
                    if (i < values.length && !Double.isNaN(values[(int) i])) {
                        engine.onSample(ref.vm(), ref.vcpu(), series, values[(int) i]);
                    }
                }

                @Override
                public long lastStep(long interval) {
                    return values.length - 1;
                }
            };
        }
        if (in.notice() != null) {
            Vm vm = in.vm() == null ? null : vm(where, in.vm(), vms);
            Notice notice = new Notice(in.notice(), in.device(), in.facts(), "rule test " + in.notice());
            return new Feed() {
                @Override
                public void step(RuleEngine engine, long i, long now, long previous) {
                    for (Duration at : in.at()) {
                        long t = T0 + at.toNanos();
                        if (t <= now && (i == 0 || t > previous)) {
                            engine.onNotice(vm, notice, t);
                        }
                    }
                }

                @Override
                public long lastStep(long interval) {
                    return in.at().stream().mapToLong(a -> a.toNanos() / interval + 1).max().orElse(0);
                }
            };
        }
        throw new ConfigException(where + "an input needs vcpu with wait_share, metric with values, notice with at, "
                + "or process with run_share");
    }

    private record VcpuRef(Vm vm, int vcpu) {
    }

    private static CpuList cpus(String where, String list) throws ConfigException {
        try {
            return CpuList.parse(list);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": cpus: " + e.getMessage());
        }
    }

    private static VcpuRef vcpu(String where, String text, Map<String, Vm> vms) throws ConfigException {
        int slash = text.lastIndexOf('/');
        if (slash < 0) {
            throw new ConfigException(where + "vcpu is written VM/INDEX, e.g. web/0, not '" + text + "'");
        }
        try {
            return new VcpuRef(vm(where, text.substring(0, slash), vms), Integer.parseInt(text.substring(slash + 1)));
        } catch (NumberFormatException e) {
            throw new ConfigException(where + "vcpu index is not a number in '" + text + "'");
        }
    }

    private static Vm vm(String where, String name, Map<String, Vm> vms) throws ConfigException {
        Vm vm = vms.get(name);
        if (vm == null) {
            throw new ConfigException(where + "VM '" + name + "' is not declared under vms");
        }
        return vm;
    }

    private static List<String> compare(List<RuleTestFile.Expected> expected, List<Alert> raised) {
        List<String> problems = new ArrayList<>();
        int n = Math.max(expected.size(), raised.size());
        for (int i = 0; i < n; i++) {
            RuleTestFile.Expected e = i < expected.size() ? expected.get(i) : null;
            Alert a = i < raised.size() ? raised.get(i) : null;
            if (e == null) {
                problems.add("unexpected alert: " + describe(a));
            } else if (a == null) {
                problems.add("missing alert: " + describe(e));
            } else if (!matches(e, a)) {
                problems.add("alert " + (i + 1) + ": expected " + describe(e) + "\n      but got " + describe(a));
            }
        }
        return problems;
    }

    private static boolean matches(RuleTestFile.Expected e, Alert a) {
        return e.rule().equals(a.rule())
                && e.state().equals(a.state().wireName())
                && seconds(a) == e.at().toNanos()
                && (e.vm() == null || (a.vm() != null && e.vm().equals(a.vm().name())))
                && (e.vcpu() == null || e.vcpu().equals(a.vcpu()))
                && (e.device() == null || e.device().equals(a.device()))
                && (e.messageContains() == null || (a.message() != null && a.message().contains(e.messageContains())));
    }

    private static long seconds(Alert a) {
        Instant at = AlertTime.parse(a.time());
        return (at.getEpochSecond() * 1_000_000_000L + at.getNano()) - T0;
    }

    private static String describe(RuleTestFile.Expected e) {
        return e.rule() + " " + e.state() + " at " + Durations.format(e.at()) + subject(e.vm(), e.vcpu(), e.device())
                + (e.messageContains() == null ? "" : " with message containing '" + e.messageContains() + "'");
    }

    private static String describe(Alert a) {
        return a.rule() + " " + a.state().wireName() + " at " + Durations.format(Duration.ofNanos(seconds(a)))
                + subject(a.vm() == null ? null : a.vm().name(), a.vcpu(), a.device()) + ": " + a.message();
    }

    private static String subject(String vm, Integer vcpu, String device) {
        return (vm == null ? "" : " vm=" + vm) + (vcpu == null ? "" : " vcpu=" + vcpu)
                + (device == null ? "" : " device=" + device);
    }
}
