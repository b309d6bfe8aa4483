package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.source.posture.HostView;
import dev.hvwatch.agent.source.posture.Outcome;
import dev.hvwatch.agent.source.posture.PostureCheck;
import dev.hvwatch.agent.source.posture.Problems;
import dev.hvwatch.agent.source.posture.UnreadableInput;
import java.util.List;
import java.util.Map;

/**
 * HY-SR-1, the part a host can see by itself: a TPM exists ({@code /sys/class/tpm/tpm0}), without which a measured
 * launch cannot happen. Whether the measurements are the expected ones takes a remote verifier.
 */
public final class TpmCheck implements PostureCheck {
    @Override
    public String id() {
        return "tpm";
    }

    @Override
    public List<Outcome> run(HostView host, Problems problems) throws UnreadableInput {
        if (!host.list(host.sys("class/tpm")).isEmpty()) {
            return List.of(Outcome.pass(id(), null));
        }
        return List.of(Outcome.fail(id(), null, "The host has no TPM (/sys/class/tpm is empty): its launch cannot "
                        + "be measured or attested.",
                "Enable the TPM in the firmware and boot with measured launch, attested by a remote verifier.",
                Map.of("tpm_devices", 0)));
    }
}
