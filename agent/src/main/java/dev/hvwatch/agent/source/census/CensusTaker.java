package dev.hvwatch.agent.source.census;

import dev.hvwatch.agent.vm.Vm;
import java.io.IOException;
import java.util.Collection;

/**
 * Takes a {@link CpuCensus} when asked: only while a rule is near its threshold, never on the sampling path.
 * {@link ProcCensus} reads the real /proc; rule unit tests build theirs from synthetic input.
 */
public interface CensusTaker {

    /**
     * @param timeNanos the moment the census stands for
     * @param vms       the VMs watched now, whose vCPU threads and processes the census names
     */
    CpuCensus take(long timeNanos, Collection<Vm> vms) throws IOException;
}
