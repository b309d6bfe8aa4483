package dev.hvwatch.agent.source.tracepoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.hvwatch.agent.ring.EventRing;
import dev.hvwatch.agent.source.SampleCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the source fails when tracefs cannot be read: once, clearly, and without trying again every round. */
class ExitTracepointSourceTest {
    @TempDir
    Path dir;

    @Test
    void withoutTracefsTheSourceStaysDownWithOneMessage() throws Exception {
        Path tracefs = Files.createDirectories(dir.resolve("tracing"));
        try (EventRing ring = new EventRing(16, new SampleCapture());
             ExitTracepointSource source = new ExitTracepointSource(tracefs, Isa.VMX, List::of, ring)) {
            Throwable first = catchThrowable(() -> source.sample(1));
            assertThat(first).isInstanceOf(IOException.class).hasMessageStartingWith("tracefs is not mounted at "
                    + tracefs);
            // Mounting it now changes nothing until the agent restarts: the files are not read again.
            Files.createDirectories(tracefs.resolve("events/kvm"));
            assertThat(catchThrowable(() -> source.sample(2))).isSameAs(first);
            assertThat(source.errors()).as("a missing tracefs is not a parse error").isZero();
        }
    }

    @Test
    void aFormatThatDoesNotParseIsCountedOnce() throws Exception {
        Path tracefs = dir.resolve("tracing");
        Path exit = Files.createDirectories(tracefs.resolve("events/kvm/kvm_exit"));
        Files.writeString(exit.resolve("id"), "103\n");
        Files.writeString(exit.resolve("format"), "name: kvm_exit\nID: 103\nformat:\n");
        try (EventRing ring = new EventRing(16, new SampleCapture());
             ExitTracepointSource source = new ExitTracepointSource(tracefs, Isa.VMX, List::of, ring)) {
            for (int round = 0; round < 3; round++) {
                assertThatThrownBy(() -> source.sample(1)).isInstanceOf(TracepointFormatException.class)
                        .hasMessage(exit.resolve("format") + ": no 'print fmt:' line; the file looks truncated");
            }
            assertThat(source.errors()).isEqualTo(1);
        }
    }
}
