package dev.hvwatch.agent.source.tracepoint;

import dev.hvwatch.agent.ring.Series;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Every VM-wide series the exit tracepoint source publishes on a host whose tracefs is {@code root} (exits per VMX
 * reason, then the other exit tracepoints), for the docs' reference.
 */
public final class TracepointSeries {
    private TracepointSeries() {
    }

    public static List<Series> vmx(Path root) throws IOException {
        KvmTracepoints kvm = KvmTracepoints.load(new Tracefs(root, "kvm"), Isa.VMX);
        return IntStream.range(0, kvm.reasons().size() + kvm.tracepoints().size()).mapToObj(kvm::newSeries).toList();
    }
}
