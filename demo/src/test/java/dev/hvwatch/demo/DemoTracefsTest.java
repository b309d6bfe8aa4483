package dev.hvwatch.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoTracefsTest {
    @TempDir
    Path root;

    @Test
    void saysNothingWhenTheKvmEventsAreThere() throws Exception {
        Files.createDirectories(root.resolve("events/kvm"));
        assertThat(DemoTracefs.prepare(root, false)).isEmpty();
    }

    @Test
    void aUserWhoMayNotMountHearsWhyExitsAreMissingAndTheCommand() {
        assertThat(DemoTracefs.prepare(root, false)).hasValue("hvwatch: no VM exits per kind: tracefs is not mounted at "
                + root + " and only root may mount it (sudo mount -t tracefs nodev " + root + ")");
    }

    @Test
    void tracefsWithoutKvmEventsPointsAtTheModule() throws Exception {
        Files.createDirectories(root.resolve("events/sched"));
        assertThat(DemoTracefs.prepare(root, true)).get().asString().contains("has no kvm events");
    }
}
