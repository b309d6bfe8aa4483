package dev.hvwatch.agent.source.posture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.source.posture.check.DefaultChecks;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every registered posture check seen failing, with its evidence sentence, on one fixture host and passing on another.
 * Each scenario unpacks fixture archives ({@code src/test/resources/posture/*.ttar}: a base host, then overlays) and
 * runs the checks once per step, as the agent does every minute; its last run must fail exactly the declared checks
 * with exactly the declared sentences, and nothing else. The coverage test enumerates {@link DefaultChecks}, so a new
 * check fails the build until a scenario makes it fail and one makes it pass; {@code {root}} in a sentence stands for
 * the unpacked host's directory.
 */
class PostureCheckCoverageTest {
    private static final String FIXTURES = "posture";

    /** The baseline the clean host keeps. */
    private static final AgentConfig.Baseline KEPT = new AgentConfig.Baseline(
            List.of("intel_iommu=on", "!pcie_acs_override", "!nokaslr"),
            Map.of("kvm_intel.ept", "Y", "kvm.nx_huge_pages", "N"),
            Map.of("kernel.kptr_restrict", "1", "kernel.unprivileged_bpf_disabled", "2"),
            Map.of("spectre_v2", "Mitigation", "meltdown", "Not affected"));
    /** A baseline the clean host differs from in four settings. */
    private static final AgentConfig.Baseline DRIFTED = new AgentConfig.Baseline(
            List.of("intel_iommu=on", "pcie_aspm=off", "!mitigations", "!iommu"),
            Map.of("kvm_intel.ept", "Y", "kvm.nx_huge_pages", "Y"),
            Map.of("kernel.kptr_restrict", "2", "kernel.unprivileged_bpf_disabled", "2"),
            Map.of("spectre_v2", "Mitigation", "meltdown", "Not affected"));

    private static final String PINNED_A1 = "VM instance-0000a1 of owner project a1b2c3d4e5f60718293a4b5c6d7e8f90 is "
            + "pinned to CPUs 2-3 and shares cores (CPUs 3) with VM instance-0000b2 of owner project "
            + "f0e1d2c3b4a5968778695a4b3c2d1e0f (CPUs 3-4): their vCPUs compete for the same CPU time and caches.";
    private static final String PINNED_B2 = "VM instance-0000b2 of owner project f0e1d2c3b4a5968778695a4b3c2d1e0f is "
            + "pinned to CPUs 3-4 and shares cores (CPUs 3) with VM instance-0000a1 of owner project "
            + "a1b2c3d4e5f60718293a4b5c6d7e8f90 (CPUs 2-3): their vCPUs compete for the same CPU time and caches.";

    /** What this project's test host (no IOMMU, no TPM, QEMU run by hand as root) fails for its guest {@code vm}. */
    private static Map<String, String> handRunGuestOnNestedHost(String vm, String disk) {
        return Map.of(
                "qemu-root@" + vm, "QEMU of VM " + vm + " runs as root (uid 0): a guest that escapes into its device "
                        + "emulation holds the host.",
                "seccomp@" + vm, "QEMU of VM " + vm + " runs without a seccomp filter (Seccomp: 0): every system "
                        + "call stays open to a compromised emulator.",
                "mac-label@" + vm, "QEMU of VM " + vm + " has no security label (no SELinux or AppArmor labels "
                        + "processes).",
                "cpu-limits@" + vm, "VM " + vm + "'s vCPUs run without a CPU ceiling or weight (cgroups: the root "
                        + "only): it can take CPU time from every other VM.",
                "io-limits@" + vm, "VM " + vm + " has disks without I/O limits (" + disk + "): it can saturate "
                        + "storage and network the other VMs share.");
    }

    private static final Map<String, String> NESTED_HOST = Map.of(
            "tpm", "The host has no TPM (/sys/class/tpm is empty): its launch cannot be measured or attested.",
            "iommu", "No IOMMU translates device DMA on this host (no IOMMU unit in /sys/class/iommu): devices can "
                    + "write anywhere in host memory and none can be passed through safely.",
            "second-level-paging", "KVM runs through kvm_pvm, without EPT or NPT: guest memory is isolated by shadow "
                    + "page tables in software.",
            "cpu-vulnerabilities", "The kernel reports the CPU vulnerable to spec_rstack_overflow, spec_store_bypass, "
                    + "tsa: a guest may read host or other VMs' memory through them.");

    static final List<Scenario> SCENARIOS = List.of(
            new Scenario("a well-configured Intel host", AgentConfig.defaults().posture(), List.of(List.of(
                    "clean-host")), Map.of()),
            new Scenario("the clean host keeps its declared baseline", posture(KEPT, null), List.of(List.of(
                    "clean-host")), Map.of()),
            new Scenario("the clean host drifts from a declared baseline", posture(DRIFTED, null), List.of(List.of(
                    "clean-host")), Map.of(
                    "baseline-drift", "The host differs from its declared baseline in 4 setting(s): kernel command "
                            + "line lacks pcie_aspm=off; kernel command line has iommu=pt, declared absent; "
                            + "kvm.nx_huge_pages is N, declared Y; sysctl kernel.kptr_restrict is 1, declared 2.")),
            new Scenario("a nested test host without IOMMU or TPM, QEMU run by hand", AgentConfig.defaults().posture(),
                    List.of(List.of("nested-pvm-host")), merge(NESTED_HOST,
                    handRunGuestOnNestedHost("ci", "/srv/ci/boot.img"))),
            new Scenario("a TCG guest on the nested host", AgentConfig.defaults().posture(), List.of(List.of(
                    "nested-pvm-host", "tcg-guest")), merge(NESTED_HOST, handRunGuestOnNestedHost("ci",
                    "/srv/ci/boot.img"), handRunGuestOnNestedHost("emu", "/srv/ci/boot.img"), Map.of(
                    "hw-virt@emu", "VM emu runs emulated by TCG (accelerator: tcg), without hardware-assisted CPU "
                            + "and memory virtualisation."))),
            overlay("ept-off", Map.of(
                    "second-level-paging", "KVM's second-level paging is off (kvm_intel.ept=N): guest memory is "
                            + "isolated by shadow page tables in software.")),
            overlay("guest-swapped", Map.of(
                    "guest-swap@web", "2048.0 MiB of VM web's memory is swapped out (VmSwap): the host does not keep "
                            + "the memory it promised the VM.")),
            overlay("oversized-guest", Map.of(
                    "memory-overcommit", "VMs are given 132.0 GiB of RAM, 105% of the host's 125.8 GiB (limit 100%): "
                            + "under memory pressure the host swaps or kills guests.",
                    "cpu-overcommit", "VMs have 14 vCPUs on 8 host CPUs (limit 1.0 per CPU): their vCPUs wait for "
                            + "each other's CPU time.",
                    "vcpus-beyond-host@analytics", "VM analytics has 12 vCPUs, more than the host's 8 CPUs: they can "
                            + "never all run at once.")),
            overlay("no-cpu-limits", Map.of(
                    "cpu-limits@web", "VM web's vCPUs run without a CPU ceiling or weight (cgroups: "
                            + "{root}/cgroup/machine.slice/qemu-web.scope, {root}/cgroup/machine.slice): it can take "
                            + "CPU time from every other VM.")),
            overlay("legacy-devices", Map.of(
                    "legacy-devices@web", "VM web has legacy emulated devices (rtl8139, cirrus-vga, QEMU's default "
                            + "devices (no -nodefaults)): large old device models the guest can attack.")),
            overlay("no-interrupt-remapping", Map.of(
                    "interrupt-remapping", "The IOMMU does not remap interrupts (no IR- interrupt domain in "
                            + "/proc/interrupts): a passed-through device can inject interrupts into the host or "
                            + "other VMs.")),
            overlay("acs-override", Map.of(
                    "acs-override", "The kernel splits IOMMU groups by the ACS override "
                            + "(pcie_acs_override=downstream,multifunction): devices it separates can still reach "
                            + "each other by peer-to-peer DMA.")),
            overlay("apparmor-enforce", Map.of()),
            overlay("apparmor-complain", Map.of(
                    "mac-label@web", "QEMU of VM web is only logged, not confined "
                            + "(libvirt-4b9c2a5e-7d61-4c1e-9f0b-2f5d3b1a8c77 (complain)).")),
            overlay("passthrough-shared-group", Map.of(
                    "passthrough-group@gpu", "Passthrough device 0000:3b:00.0 shares IOMMU group 12 with "
                            + "0000:3b:00.1 (bound to the host driver ixgbe): VM gpu can reach it by DMA beyond the "
                            + "IOMMU's isolation.")),
            overlay("vfio-unsafe", Map.of(
                    "vfio-unsafe", "VFIO runs in an unsafe mode (vfio.enable_unsafe_noiommu_mode=Y, "
                            + "vfio_iommu_type1.allow_unsafe_interrupts=Y): devices it hands to VMs are not confined "
                            + "by IOMMU remapping.")),
            overlay("smt-vulnerable", Map.of(
                    "smt", "SMT is on (/sys/devices/system/cpu/smt/control=on): VMs on sibling threads of one core "
                            + "share its caches and buffers, and the CPU is SMT-vulnerable to l1tf, mds, "
                            + "mmio_stale_data.",
                    "cpu-vulnerabilities", "The kernel reports the CPU vulnerable to itlb_multihit, "
                            + "spec_store_bypass, spectre_v2: a guest may read host or other VMs' memory through "
                            + "them.",
                    "nx-huge-pages", "KVM's nx_huge_pages is off (N) on a CPU affected by iTLB multihit (KVM: "
                            + "Vulnerable): a guest can make the host machine-check.")),
            overlay("ksm-on", Map.of(
                    "ksm", "Kernel same-page merging is on (/sys/kernel/mm/ksm/run=1, 262144 pages sharing): it "
                            + "overcommits memory and lets one VM learn another's memory contents by timing "
                            + "writes.")),
            overlay("libvirt-hostdev-cputune", Map.of(
                    "cpu-pinning-overlap@instance-0000a1", PINNED_A1,
                    "cpu-pinning-overlap@instance-0000b2", PINNED_B2)),
            new Scenario("two libvirt instances of one declared owner share pinned CPUs",
                    posture(null, Map.of("tenant", List.of("instance-*"))), List.of(List.of("clean-host",
                    "libvirt-hostdev-cputune")), Map.of()),
            new Scenario("a running libvirt instance's memory is changed", AgentConfig.defaults().posture(),
                    List.of(List.of("clean-host", "libvirt-hostdev-cputune"), List.of("libvirt-setmem")), Map.of(
                    "cpu-pinning-overlap@instance-0000a1", PINNED_A1,
                    "cpu-pinning-overlap@instance-0000b2", PINNED_B2,
                    "config-change@instance-0000b2", "The configuration of running VM instance-0000b2 changed "
                            + "(currentMemory).")),
            overlay("vnc-all-addresses", Map.of(
                    "management-exposure@desk", "QEMU of VM desk listens on all addresses at 0.0.0.0:5900: its VNC, "
                            + "SPICE, monitor, migration or console socket is reachable from every network the host "
                            + "is on.")));

    /**
     * @param steps     archives unpacked before each run, in order (a later one replaces the files it holds)
     * @param failures  every failure of the last run, as {@code check} (the host) or {@code check@vm}, with its
     *                  evidence sentence
     */
    record Scenario(String name, AgentConfig.Posture config, List<List<String>> steps, Map<String, String> failures) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** What one scenario's last run gave. */
    record Run(Scenario scenario, List<Outcome> outcomes, String root, long unreadableInputs) {
    }

    private static Scenario overlay(String archive, Map<String, String> failures) {
        return new Scenario(archive + " over the clean host", AgentConfig.defaults().posture(),
                List.of(List.of("clean-host", archive)), failures);
    }

    private static AgentConfig.Posture posture(AgentConfig.Baseline baseline, Map<String, List<String>> owners) {
        return new AgentConfig.Posture(null, null, null, null, null, null, null, null, owners, baseline);
    }

    @SafeVarargs
    private static Map<String, String> merge(Map<String, String>... parts) {
        Map<String, String> all = new LinkedHashMap<>();
        for (Map<String, String> p : parts) {
            all.putAll(p);
        }
        return all;
    }

    private static String key(Outcome o) {
        return o.check() + (o.vm() == null ? "" : "@" + o.vm().name());
    }

    static Run run(Scenario scenario) throws IOException {
        Path host = Files.createTempDirectory("posture-fixture");
        try {
            HostView.Roots roots = new HostView.Roots(host.resolve("proc"), host.resolve("sys"),
                    host.resolve("cgroup"), host.resolve("run/libvirt/qemu"));
            ProcDiscovery discovery = new ProcDiscovery(host.resolve("proc"));
            PostureSource source = new PostureSource(roots, () -> discovery.watched().values(), null,
                    DefaultChecks.of(scenario.config()), Duration.ofMinutes(1));
            List<Outcome> outcomes = List.of();
            for (List<String> step : scenario.steps()) {
                step.forEach(archive -> Ttar.extract(FIXTURES + "/" + archive + ".ttar", host));
                discovery.scan();
                outcomes = source.runChecks(new HostView(roots, discovery.watched().values()));
            }
            return new Run(scenario, outcomes, host.toString(), source.errors());
        } finally {
            try (Stream<Path> all = Files.walk(host)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> eachScenarioFailsExactlyItsDeclaredChecksWithTheirSentences() {
        return SCENARIOS.stream().map(s -> DynamicTest.dynamicTest(s.name(), () -> {
            Run run = run(s);
            Map<String, String> failed = new TreeMap<>();
            run.outcomes().stream().filter(o -> !o.passed())
                    .forEach(o -> failed.put(key(o), o.summary().replace(run.root(), "{root}")));
            assertThat(failed).as(s.name()).isEqualTo(new TreeMap<>(s.failures()));
            assertThat(run.outcomes()).as("at most one outcome per check and subject")
                    .extracting(PostureCheckCoverageTest::key).doesNotHaveDuplicates();
            assertThat(run.unreadableInputs()).as("inputs of " + s.name() + " that did not parse").isZero();
        }));
    }

    @Test
    void everyRegisteredCheckFailsOnSomeFixtureHostAndPassesOnAnother() throws IOException {
        Map<String, Set<String>> failedIn = new TreeMap<>();
        Map<String, Set<String>> passedIn = new TreeMap<>();
        for (Scenario s : SCENARIOS) {
            for (Outcome o : run(s).outcomes()) {
                (o.passed() ? passedIn : failedIn).computeIfAbsent(o.check(), c -> new TreeSet<>()).add(s.name());
            }
        }
        Set<String> registered = DefaultChecks.of(AgentConfig.defaults().posture()).stream().map(PostureCheck::id)
                .collect(Collectors.toCollection(TreeSet::new));
        List<String> untested = new ArrayList<>();
        for (String check : registered) {
            if (!failedIn.containsKey(check)) {
                untested.add(check + " (never fails)");
            }
            if (!passedIn.containsKey(check)) {
                untested.add(check + " (never passes)");
            }
        }
        assertThat(untested).as("checks without a fixture host on which they fail and one on which they pass: add a "
                + "Scenario (and its archive) to " + PostureCheckCoverageTest.class.getSimpleName()).isEmpty();
    }

    /** Each archive is named in the fixtures' README with the kernel, QEMU or libvirt version it stands for. */
    @Test
    void everyFixtureIsUsedAndItsReadmeSaysWhatItStandsFor() throws IOException, URISyntaxException {
        Map<String, String> standsFor = new TreeMap<>();
        Matcher row = Pattern.compile("(?m)^\\| `([a-z0-9-]+)` \\| ([^|]*) \\|").matcher(readme());
        while (row.find()) {
            standsFor.put(row.group(1), row.group(2).strip());
        }
        Set<String> archives;
        Path dir = Path.of(getClass().getClassLoader().getResource(FIXTURES).toURI());
        try (Stream<Path> files = Files.list(dir)) {
            archives = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ttar"))
                    .map(n -> n.substring(0, n.length() - ".ttar".length())).collect(Collectors.toCollection(
                            TreeSet::new));
        }
        Set<String> used = SCENARIOS.stream().flatMap(s -> s.steps().stream()).flatMap(List::stream)
                .collect(Collectors.toCollection(TreeSet::new));

        assertThat(used).as("archives the scenarios unpack").isEqualTo(archives);
        assertThat(standsFor.keySet()).as("archives the README describes").isEqualTo(archives);
        assertThat(standsFor).allSatisfy((archive, version) -> assertThat(version).as(archive)
                .containsPattern("(Linux|QEMU|libvirt) \\d+\\.\\d+"));
    }

    private String readme() throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(FIXTURES + "/README.md")) {
            assertThat(in).as(FIXTURES + "/README.md on the test classpath").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
