package dev.hvwatch.agent.source.posture.check;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.source.posture.PostureCheck;
import java.util.List;

/** Every posture check the agent runs, in the order of SP 800-125A's recommendations, configured from the agent's. */
public final class DefaultChecks {
    private DefaultChecks() {
    }

    public static List<PostureCheck> of(AgentConfig.Posture config) {
        return List.of(
                new TpmCheck(),
                new HardwareVirtualisationCheck(),
                new SecondLevelPagingCheck(),
                new IommuCheck(),
                new MemoryOvercommitCheck(config.memoryOvercommitRatio()),
                new KsmCheck(),
                new GuestSwapCheck(),
                new CpuOvercommitCheck(config.cpuOvercommitRatio()),
                new VcpusBeyondHostCheck(),
                new CpuPinningOverlapCheck(config.owners()),
                new CpuLimitsCheck(),
                new QemuRootCheck(),
                new SeccompCheck(),
                new LegacyDevicesCheck(),
                new InterruptRemappingCheck(),
                new VfioUnsafeCheck(),
                new AcsOverrideCheck(),
                new PassthroughGroupCheck(),
                new MacLabelCheck(),
                new IoLimitsCheck(),
                new ConfigChangeCheck(),
                new BaselineDriftCheck(config.baseline()),
                new ManagementExposureCheck(config.managementPorts()),
                new SmtCheck(),
                new CpuVulnerabilitiesCheck(),
                new NxHugePagesCheck());
    }
}
