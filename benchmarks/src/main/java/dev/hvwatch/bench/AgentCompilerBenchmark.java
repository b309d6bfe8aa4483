package dev.hvwatch.bench;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The run settings of benchmarks that time the agent's per-round and per-scrape code as the agent runs it: with its
 * compiler setting (C1 only, {@code agent/src/main/jvm/jvm.options}), average time, one fork. JMH's class annotations
 * are inherited, so a subclass adds only its time unit.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-XX:TieredStopAtLevel=1")
public abstract class AgentCompilerBenchmark {
}
