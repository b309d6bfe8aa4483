package dev.hvwatch.agent.source.discovery;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What hvwatch needs from a QEMU command line: the guest's name, UUID, vCPU count, QMP socket, and whether libvirt
 * runs it. QEMU accepts {@code -opt} and {@code --opt}; the QMP monitor is given either as {@code -qmp unix:PATH,...}
 * or as a socket {@code -chardev} referenced by {@code -mon chardev=ID,mode=control} (libvirt's form).
 *
 * @param libvirtMonitor whether the monitor is libvirt's: libvirt names its chardev {@code charmonitor}
 *                       ({@code -mon chardev=charmonitor,id=monitor,mode=control}) in every version
 */
public record QemuCommandLine(String name, String uuid, int vcpus, Optional<Path> qmpSocket, boolean libvirtMonitor) {
    private static final String LIBVIRT_MONITOR_CHARDEV = "charmonitor";

    /** Parses argv as read from {@code /proc/PID/cmdline}; unknown options are ignored. */
    public static QemuCommandLine parse(List<String> argv) {
        String name = null;
        String uuid = null;
        int vcpus = 1;
        Path qmp = null;
        Map<String, Path> socketChardevs = new HashMap<>();
        List<String> controlMonitors = new ArrayList<>();
        boolean libvirtMonitor = false;
        for (int i = 1; i < argv.size() - 1; i++) {
            String opt = argv.get(i);
            if (!opt.startsWith("-")) {
                continue;
            }
            String key = opt.startsWith("--") ? opt.substring(2) : opt.substring(1);
            String value = argv.get(i + 1);
            switch (key) {
                case "name" -> {
                    QemuOptions o = QemuOptions.parse(value);
                    name = o.get("guest") != null ? o.get("guest") : o.implied();
                }
                case "uuid" -> uuid = value;
                case "smp" -> vcpus = parseSmp(value);
                case "qmp" -> qmp = unixSocket(value).orElse(qmp);
                case "chardev" -> {
                    QemuOptions o = QemuOptions.parse(value);
                    if ("socket".equals(o.implied()) && o.get("id") != null && o.get("path") != null) {
                        socketChardevs.put(o.get("id"), Path.of(o.get("path")));
                    }
                }
                case "mon" -> {
                    QemuOptions o = QemuOptions.parse(value);
                    String chardev = o.get("chardev") != null ? o.get("chardev") : o.implied();
                    if (chardev != null && "control".equals(o.get("mode"))) {
                        controlMonitors.add(chardev);
                    }
                    libvirtMonitor |= LIBVIRT_MONITOR_CHARDEV.equals(chardev);
                }
                default -> {
                    continue;
                }
            }
            i++;
        }
        if (qmp == null) {
            qmp = controlMonitors.stream().map(socketChardevs::get).filter(p -> p != null).findFirst().orElse(null);
        }
        return new QemuCommandLine(name, uuid, vcpus, Optional.ofNullable(qmp), libvirtMonitor);
    }

    /** {@code -smp 4} or {@code -smp cpus=4,sockets=1,...}; topology-only forms count sockets x cores x threads. */
    private static int parseSmp(String value) {
        QemuOptions o = QemuOptions.parse(value);
        String cpus = o.get("cpus") != null ? o.get("cpus") : o.implied();
        try {
            if (cpus != null) {
                return Integer.parseInt(cpus);
            }
            int product = 1;
            for (String k : List.of("sockets", "dies", "clusters", "cores", "threads")) {
                if (o.get(k) != null) {
                    product *= Integer.parseInt(o.get(k));
                }
            }
            return product;
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** {@code unix:PATH[,options]} or {@code unix:path=PATH}; other backends (tcp, stdio) are no socket to read. */
    private static Optional<Path> unixSocket(String spec) {
        if (!spec.startsWith("unix:")) {
            return Optional.empty();
        }
        QemuOptions o = QemuOptions.parse(spec.substring("unix:".length()));
        String path = o.get("path") != null ? o.get("path") : o.implied();
        return path == null || path.isEmpty() ? Optional.empty() : Optional.of(Path.of(path));
    }
}
