package dev.hvwatch.agent.rules.attribution;

import dev.hvwatch.agent.vm.Vm;

/** Where the time one VM's vCPUs waited while another VM ran on their CPUs goes: hvwatch_vm_cpu_interference_…. */
public interface InterferenceSink {
    InterferenceSink NONE = new InterferenceSink() {
        @Override
        public void add(Vm victim, Vm antagonist, double seconds) {
        }

        @Override
        public void forget(Vm vm) {
        }
    };

    /** Called on the rule engine's thread. */
    void add(Vm victim, Vm antagonist, double seconds);

    /** The VM stopped: its pairs, as victim and as antagonist, end. */
    void forget(Vm vm);
}
