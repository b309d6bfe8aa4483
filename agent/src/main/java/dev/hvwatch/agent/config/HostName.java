package dev.hvwatch.agent.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host's name as the kernel knows it, without a DNS lookup that could hang at start-up. */
final class HostName {
    private HostName() {
    }

    static String local() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException e) {
            String env = System.getenv("HOSTNAME");
            return env != null && !env.isBlank() ? env : "localhost";
        }
    }
}
