package dev.hvwatch.agent.rules;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.ring.TelemetryEvent;

/** The ring consumer that feeds events to the rules. Runs on its own thread: the single writer of all rule state. */
public final class RuleEngine implements EventHandler<TelemetryEvent> {
    private final StarvationRule starvation;

    public RuleEngine(StarvationRule starvation) {
        this.starvation = starvation;
    }

    @Override
    public void onEvent(TelemetryEvent e, long sequence, boolean endOfBatch) {
        switch (e.kind()) {
            case SCHEDSTAT -> starvation.onSchedstat(e.vm(), e.vcpu(), e.tid(), e.timeNanos(), e.runNanos(),
                    e.waitNanos(), e.runnable());
            case VM_STOPPED -> starvation.onVmStopped(e.vm(), e.timeNanos());
            case VM_STARTED, SAMPLE, NOTICE -> {
                // Rule state for a VM is created by its first schedstat reading; no rule reads samples or notices yet.
            }
        }
    }
}
