package dev.hvwatch.agent.source.posture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hvwatch.agent.config.AgentConfig;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.source.posture.check.DefaultChecks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the posture checks report beyond their sentences, on fixture hosts this machine cannot be (node_exporter style:
 * trees in the kernel's and libvirt's formats, in src/test/resources/posture/*.ttar): the device and evidence values of
 * a finding, which checks apply to which subject, a change seen between runs, inputs that do not parse. VMs are found
 * by discovery on the fixture /proc, as the agent finds them. {@link PostureCheckCoverageTest} holds every scenario's
 * findings and sentences.
 */
class PostureFixtureTest {
    private static final Set<String> NOT_APPLICABLE_ON_CLEAN_HOST = Set.of("baseline-drift", "cpu-pinning-overlap",
            "passthrough-group");

    @TempDir
    Path host;

    private PostureSource source;
    private ProcDiscovery discovery;

    /** The fixture's links to /dev/kvm and the like go first, so that JUnit does not warn about each one. */
    @AfterEach
    void removeLinks() throws IOException {
        try (Stream<Path> all = Files.walk(host)) {
            for (Path p : all.filter(Files::isSymbolicLink).toList()) {
                Files.delete(p);
            }
        }
    }

    private List<Outcome> run(AgentConfig.Posture config, String... overlays) throws Exception {
        Ttar.extract("posture/clean-host.ttar", host);
        for (String overlay : overlays) {
            Ttar.extract("posture/" + overlay + ".ttar", host);
        }
        discovery = new ProcDiscovery(host.resolve("proc"));
        discovery.scan();
        source = new PostureSource(roots(), () -> discovery.watched().values(), null, DefaultChecks.of(config),
                Duration.ofMinutes(1));
        return again();
    }

    private List<Outcome> again() throws Exception {
        discovery.scan();
        return source.runChecks(new HostView(roots(), discovery.watched().values()));
    }

    private List<Outcome> run(String... overlays) throws Exception {
        return run(AgentConfig.defaults().posture(), overlays);
    }

    private HostView.Roots roots() {
        return new HostView.Roots(host.resolve("proc"), host.resolve("sys"), host.resolve("cgroup"),
                host.resolve("run/libvirt/qemu"));
    }

    /** Failures as {@code check} (host) or {@code check@vm}. */
    private static Set<String> failures(List<Outcome> outcomes) {
        return outcomes.stream().filter(o -> !o.passed())
                .map(o -> o.check() + (o.vm() == null ? "" : "@" + o.vm().name()))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static Outcome outcome(List<Outcome> outcomes, String check, String vm) {
        return outcomes.stream().filter(o -> o.check().equals(check)
                        && (vm == null ? o.vm() == null : o.vm() != null && o.vm().name().equals(vm)))
                .findFirst().orElseThrow(() -> new AssertionError("no outcome of " + check + " for " + vm));
    }

    @Test
    void aWellConfiguredHostPassesEveryCheckThatApplies() throws Exception {
        List<Outcome> outcomes = run();

        assertThat(failures(outcomes)).isEmpty();
        Set<String> checked = outcomes.stream().map(Outcome::check).collect(Collectors.toSet());
        Set<String> all = DefaultChecks.of(AgentConfig.defaults().posture()).stream().map(PostureCheck::id)
                .collect(Collectors.toSet());
        assertThat(checked).containsAll(all.stream().filter(id -> !NOT_APPLICABLE_ON_CLEAN_HOST.contains(id))
                .toList()).doesNotContainAnyElementsOf(NOT_APPLICABLE_ON_CLEAN_HOST);
        assertThat(outcomes).as("at most one outcome per check and subject")
                .extracting(o -> o.check() + "@" + (o.vm() == null ? "" : o.vm().name())).doesNotHaveDuplicates();
        assertThat(source.errors()).isZero();
    }

    @Test
    void aPassthroughDeviceSharingItsGroupWithAHostNicIsTheOnlyFinding() throws Exception {
        List<Outcome> outcomes = run("passthrough-shared-group");

        assertThat(failures(outcomes)).containsExactly("passthrough-group@gpu");
        Outcome o = outcome(outcomes, "passthrough-group", "gpu");
        assertThat(o.device()).isEqualTo("0000:3b:00.0");
        assertThat(o.summary()).contains("0000:3b:00.0 shares IOMMU group 12 with 0000:3b:00.1 (bound to the host "
                + "driver ixgbe)").doesNotContain("0000:3a:00.0");
        assertThat(o.evidence()).containsEntry("iommu_group.0000:3b:00.0", "12");
    }

    @Test
    void smtOnWithVulnerableCpusGivesTheSideChannelFindings() throws Exception {
        List<Outcome> outcomes = run("smt-vulnerable");

        assertThat(failures(outcomes)).containsExactly("cpu-vulnerabilities", "nx-huge-pages", "smt");
        assertThat(outcome(outcomes, "cpu-vulnerabilities", null).evidence()).containsOnlyKeys("itlb_multihit",
                "spec_store_bypass", "spectre_v2");
        assertThat(outcome(outcomes, "smt", null).evidence())
                .containsEntry("smt_vulnerable", "l1tf,mds,mmio_stale_data");
        assertThat(outcome(outcomes, "nx-huge-pages", null).summary()).contains("KVM: Vulnerable");
    }

    @Test
    void libvirtGuestsOfTwoProjectsPinnedToOneCpuOverlapWhileTheirHostdevCputuneAndIotunePass() throws Exception {
        List<Outcome> outcomes = run("libvirt-hostdev-cputune");

        assertThat(failures(outcomes)).containsExactly("cpu-pinning-overlap@instance-0000a1",
                "cpu-pinning-overlap@instance-0000b2");
        assertThat(outcome(outcomes, "cpu-pinning-overlap", "instance-0000a1").summary())
                .contains("owner project a1b2c3d4e5f60718293a4b5c6d7e8f90 is pinned to CPUs 2-3")
                .contains("shares cores (CPUs 3) with VM instance-0000b2 of owner project f0e1d2c3");
        assertThat(outcome(outcomes, "passthrough-group", "instance-0000a1").passed()).isTrue();
        for (String vm : List.of("instance-0000a1", "instance-0000b2")) {
            assertThat(outcome(outcomes, "cpu-limits", vm).passed()).as("cputune shares of " + vm).isTrue();
            assertThat(outcome(outcomes, "io-limits", vm).passed()).as("iotune and bandwidth of " + vm).isTrue();
        }
        assertThat(outcomes).noneMatch(o -> o.check().equals("cpu-pinning-overlap") && o.vm().name().equals("web"));
    }

    @Test
    void aVncOnAllAddressesIsTheOnlyFindingAndALoopbackOneIsFine() throws Exception {
        List<Outcome> outcomes = run("vnc-all-addresses");

        assertThat(failures(outcomes)).containsExactly("management-exposure@desk");
        assertThat(outcome(outcomes, "management-exposure", "desk").evidence())
                .containsEntry("listeners", "0.0.0.0:5900");
        assertThat(outcome(outcomes, "management-exposure", "web").passed()).isTrue();
        assertThat(outcome(outcomes, "management-exposure", null).passed()).as("sshd on 0.0.0.0:22 is no "
                + "management port; libvirtd listens on loopback").isTrue();
    }

    @Test
    void aChangedLibvirtDomainIsReportedInTheRunThatSeesIt() throws Exception {
        run("libvirt-hostdev-cputune");
        Path xml = host.resolve("run/libvirt/qemu/instance-0000b2.xml");
        Files.writeString(xml, Files.readString(xml).replace("<currentMemory unit='KiB'>4194304</currentMemory>",
                "<currentMemory unit='KiB'>2097152</currentMemory>"));

        List<Outcome> changed = again();
        List<Outcome> after = again();

        assertThat(failures(changed)).contains("config-change@instance-0000b2")
                .doesNotContain("config-change@instance-0000a1");
        assertThat(outcome(changed, "config-change", "instance-0000b2").evidence())
                .containsEntry("changed_sections", "currentMemory");
        assertThat(outcome(after, "config-change", "instance-0000b2").passed()).isTrue();
    }

    @Test
    void unreadableInputsAreCountedAndSkippedWithoutStoppingOtherChecks() throws Exception {
        run("libvirt-hostdev-cputune");
        Files.writeString(host.resolve("proc/4242/net/tcp"), "  sl  local_address\n   0: garbage\n");
        Files.writeString(host.resolve("run/libvirt/qemu/instance-0000a1.xml"), "<domstatus pid='6001'><domain>");
        long before = source.errors();

        List<Outcome> outcomes = again();

        assertThat(source.errors() - before).as("each input once, however many checks read it")
                .isEqualTo(2);
        assertThat(outcomes).noneMatch(o -> o.check().equals("management-exposure") && o.vm() != null
                && o.vm().name().equals("web"));
        assertThat(outcome(outcomes, "management-exposure", "instance-0000b2").passed()).isTrue();
        assertThat(outcome(outcomes, "seccomp", "web").passed()).isTrue();
    }
}
