package dev.hvwatch.agent.source.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import com.lmax.disruptor.EventHandler;
import dev.hvwatch.agent.ring.EventKind;
import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.ring.TelemetryEvent;
import dev.hvwatch.agent.source.discovery.DiscoverySource;
import dev.hvwatch.agent.source.discovery.ProcDiscovery;
import dev.hvwatch.agent.source.discovery.WatchedVm;
import dev.hvwatch.agent.source.kvmstat.KvmMetric;
import dev.hvwatch.agent.source.kvmstat.KvmStatSeries;
import dev.hvwatch.agent.source.qmp.QmpSource;
import dev.hvwatch.testkit.GuestCleanupExtension;
import dev.hvwatch.testkit.GuestProgram;
import dev.hvwatch.testkit.LibvirtGuest;
import dev.hvwatch.testkit.Libvirtd;
import dev.hvwatch.testkit.QemuGuest;
import dev.hvwatch.testkit.RealKvm;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The KVM statistics libvirt relays become exactly the series QMP's do: a plain QEMU guest read over QMP (whose schema
 * gives each statistic's type, unit and exponent) and a libvirt domain of the same QEMU on the same kernel read through
 * libvirt (whose names alone must tell them) publish the same set of (name, unit, counter or gauge, per vCPU or not).
 */
@Tag("kvm")
@ExtendWith(GuestCleanupExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KvmSeriesAgreementKvmTest {

    private record Shape(String name, String unit, boolean cumulative, boolean perVcpu) {
    }

    @Test
    void libvirtAndQmpPublishTheSameKvmSeries() throws Exception {
        RealKvm.require();
        Libvirtd.require();
        QemuGuest plain = QemuGuest.builder().name("agree-qmp").program(GuestProgram.IDLE).qmpSocket(true).start();
        plain.awaitVcpuThreads(Duration.ofSeconds(20));
        LibvirtGuest domain = LibvirtGuest.builder().name("hvw-agree-" + UUID.randomUUID().toString().substring(0, 6))
                .program(GuestProgram.IDLE).start();
        domain.awaitVcpuThreads(Duration.ofSeconds(30));

        Set<Shape> viaQmp = ConcurrentHashMap.newKeySet();
        Set<Shape> viaLibvirt = ConcurrentHashMap.newKeySet();
        EventHandler<TelemetryEvent> capture = (e, seq, end) -> {
            if (e.kind() != EventKind.SAMPLE || e.vm() == null || !KvmMetric.isStatistic(e.series().name())) {
                return;
            }
            Shape s = new Shape(e.series().name(), e.series().baseUnit(), e.series().cumulative(), e.vcpu() >= 0);
            if (e.vm().pid() == plain.pid()) {
                viaQmp.add(s);
            } else if (e.vm().uuid().equals(domain.uuid().toString())) {
                viaLibvirt.add(s);
            }
        };
        try (EventRing ring = new EventRing(1 << 14, capture)) {
            DiscoverySource discovery = new DiscoverySource(new ProcDiscovery(Path.of("/proc")), ring);
            KvmStatSeries kvm = new KvmStatSeries();
            List<Long> pids = List.of(plain.pid(), domain.pid());
            java.util.function.Supplier<List<WatchedVm>> mine = () -> discovery.watched().stream()
                    .filter(w -> pids.contains(w.vm().pid())).toList();
            try (QmpSource qmp = new QmpSource(mine, ring, kvm, Path.of("/proc"), List.of(), Duration.ofSeconds(2));
                 LibvirtSource libvirt = new LibvirtSource(Libvirtd.URI, mine, ring, kvm)) {
                Awaitility.await("both sources published their KVM statistics").atMost(60, TimeUnit.SECONDS)
                        .pollInterval(Duration.ofMillis(300)).until(() -> {
                            Instant now = Instant.now();
                            long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
                            discovery.sample(nanos);
                            libvirt.sample(nanos);
                            qmp.sample(nanos);
                            return viaQmp.size() > 20 && viaLibvirt.size() == viaQmp.size();
                        });
            }
        }
        assertThat(viaLibvirt).as("the same series, units and types as QMP's").isEqualTo(viaQmp);
        assertThat(viaLibvirt).contains(new Shape("hvwatch.kvm.halt_poll_success", "seconds", true, true),
                new Shape("hvwatch.kvm.exits", null, true, true), new Shape("hvwatch.kvm.pages_4k", null, false, false));
    }
}
