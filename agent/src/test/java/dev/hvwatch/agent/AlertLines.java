package dev.hvwatch.agent;

import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.AlertState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The collector's JSON-lines output, as end-to-end tests read it while it grows. */
final class AlertLines {
    private AlertLines() {
    }

    /** Every alert written so far; none before the file exists. */
    static List<Alert> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(AlertJson::parse).toList();
    }

    /** The first alert of this rule and state about VM {@code vm}, or null. */
    static Alert first(Path file, String rule, AlertState state, String vm) throws IOException {
        return read(file).stream().filter(a -> a.rule().equals(rule) && a.state() == state && a.vm() != null
                && vm.equals(a.vm().name())).findFirst().orElse(null);
    }

    /**
     * The default vcpu-starvation rule with thresholds for a test, written to {@code dir}: equal competitors wait
     * about half of the time, a starved victim nearly always. Not inhibited by host contention, which such tests cause
     * on purpose.
     */
    static Path starvationRule(Path dir) throws IOException {
        return Files.writeString(dir.resolve("test-rules.yaml"), """
                rules:
                  - id: vcpu-starvation
                    title: vCPU starved of host CPU
                    category: starvation
                    severity: high
                    nist: [HY-SR-5]
                    scope: vcpu
                    condition: wait_share >= 0.8
                    resolve: wait_share < 0.3
                    for: 1s
                    message: "vCPU {{vcpu}} of VM {{vm}} waited {{wait_share | percent}} of its runnable time"
                """);
    }
}
