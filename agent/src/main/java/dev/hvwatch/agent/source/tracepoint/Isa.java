package dev.hvwatch.agent.source.tracepoint;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which x86 virtualisation extension KVM drives on this host. The kvm_exit tracepoint's {@code print fmt} holds the
 * exit reason tables of both, chosen by its {@code isa} field; the values are {@code KVM_ISA_VMX} and
 * {@code KVM_ISA_SVM} from {@code arch/x86/kvm/trace.h}.
 */
public enum Isa {
    /** Intel VT-x, driven by the kvm_intel module. */
    VMX(1),
    /** AMD-V, driven by the kvm_amd module. */
    SVM(2),
    /** Neither module is loaded: another architecture, or a KVM flavour of its own (this project's CI runs kvm_pvm). */
    UNKNOWN(0);

    private final int traceValue;

    Isa(int traceValue) {
        this.traceValue = traceValue;
    }

    /** The value kvm_exit's {@code isa} field holds on such a host. */
    int traceValue() {
        return traceValue;
    }

    /** @param sysModule normally {@code /sys/module}, where every loaded module has a directory */
    public static Isa detect(Path sysModule) {
        if (Files.isDirectory(sysModule.resolve("kvm_intel"))) {
            return VMX;
        }
        if (Files.isDirectory(sysModule.resolve("kvm_amd"))) {
            return SVM;
        }
        return UNKNOWN;
    }
}
