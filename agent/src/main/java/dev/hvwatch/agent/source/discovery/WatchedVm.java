package dev.hvwatch.agent.source.discovery;

import dev.hvwatch.agent.vm.Vm;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A discovered VM and its vCPU threads (vCPU index to thread id). The thread map changes as QEMU creates vCPU
 * threads after start or on hot-plug; only the sampling thread touches it.
 */
public final class WatchedVm {
    private final Vm vm;
    private final Map<Integer, Long> vcpuThreads = new TreeMap<>();

    WatchedVm(Vm vm) {
        this.vm = vm;
    }

    public Vm vm() {
        return vm;
    }

    public Map<Integer, Long> vcpuThreads() {
        return Collections.unmodifiableMap(vcpuThreads);
    }

    void replaceVcpuThreads(Map<Integer, Long> current) {
        vcpuThreads.clear();
        vcpuThreads.putAll(current);
    }
}
