package dev.hvwatch.agent.source.discovery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.hvwatch.agent.vm.Vm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Masks every value of a QEMU command line that is not known to be harmless, once, at discovery: the {@link Vm}
 * record carries only the masked argv, so no notice, alert, log line or posture evidence can leak a guest's
 * secrets ({@code -object secret,data=…}, {@code -iscsi password=…}, {@code -spice password=…}, URLs with
 * user-info, …).
 *
 * <p>An allow-list, not a deny-list: QEMU and its drivers keep adding ways to pass a secret (a new block driver's
 * {@code password}, a new option), and a deny-list silently leaks each one it does not know. Here only what is listed
 * survives:
 * <ul>
 *   <li>option names, and QEMU's flags;</li>
 *   <li>the values of {@link #STRUCTURED} options, element by element (QemuOpts {@code key=value,…} or JSON): the
 *       leading implied element (a driver, backend or address), bare flags ({@code server}, {@code +vmx}) and the
 *       values of {@link #SAFE_KEYS} (ids, drivers, paths, sizes, addresses, throttling figures); any other key keeps
 *       its name and loses its value;</li>
 *   <li>the whole value of {@link #PLAIN} options (a UUID, a path, a keymap);</li>
 *   <li>bare words (a disk image given without {@code -hda}).</li>
 * </ul>
 * Every other value, that of an unknown option included ({@code -iscsi}, {@code -append}, {@code -incoming},
 * {@code -fw_cfg}, {@code -smbios}, {@code -set}), becomes {@value #MASK} whole. What is kept also loses the
 * user-info of any URL in it ({@code http://user:pw@host} → {@code http://<redacted>@host}). A key file's path
 * ({@code -object secret,file=PATH}) is kept; its contents are never read.
 *
 * <p>Discovery and the QMP source read the name, UUID, vCPU count and monitor socket from the unmasked argv before
 * it is dropped; posture checks read the masked one, so every key a check reads is listed here.
 */
public final class CommandLineRedaction {
    /** What a masked value becomes. */
    public static final String MASK = "<redacted>";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** QEMU's options that take no value (qemu-options.hx entries without HAS_ARG), current and legacy. */
    private static final Set<String> FLAGS = Set.of("h", "help", "version", "S", "s", "nodefaults",
            "no-user-config", "nodefconfig", "nographic", "daemonize", "snapshot", "no-reboot", "no-shutdown",
            "no-acpi", "no-hpet", "no-fd-bootchk", "full-screen", "portrait", "win2k-hack", "rtc-td-hack", "no-quit",
            "no-frame", "alt-grab", "ctrl-grab", "curses", "sdl", "enable-kvm", "enable-fips", "enable-sync-profile",
            "only-migratable", "mem-prealloc", "singlestep", "semihosting", "preconfig", "xen-attach",
            "xen-domid-restrict", "async-teardown", "no-kvm", "no-kvm-irqchip", "no-kvm-pit",
            "no-kvm-pit-reinjection", "usb", "audio-help", "old-param", "tdf", "enable-nesting");

    /** Options whose value is QemuOpts or JSON, kept element by element. */
    private static final Set<String> STRUCTURED = Set.of("name", "machine", "M", "cpu", "accel", "smp", "m",
            "numa", "boot", "device", "drive", "blockdev", "netdev", "nic", "net", "chardev", "mon", "qmp",
            "qmp-pretty", "monitor", "serial", "parallel", "debugcon", "gdb", "object", "vnc", "spice", "display",
            "vga", "rtc", "sandbox", "msg", "overcommit", "audiodev", "fsdev", "virtfs", "tpmdev", "watchdog-action",
            "action", "icount", "compat", "trace", "plugin", "k", "usbdevice");

    /** Options whose whole value is an identifier, number or path. */
    private static final Set<String> PLAIN = Set.of("uuid", "kernel", "initrd", "bios", "L", "pidfile", "mem-path",
            "chroot", "runas", "D", "d", "cdrom", "hda", "hdb", "hdc", "hdd", "fda", "fdb", "pflash", "mtdblock",
            "sd", "dtb", "option-rom", "readconfig", "echr", "rotate", "xen-domid", "watchdog", "seed", "dfilter");

    /** Options known to take a value that is masked whole: free text, commands, URLs, tables of settings. */
    private static final Set<String> OPAQUE = Set.of("append", "iscsi", "incoming", "fw_cfg", "smbios", "set",
            "acpitable", "add-fd", "loadvm", "audio", "semihosting-config", "kvm-shadow-memory", "soundhw", "bt",
            "tb-size", "writeconfig");

    /**
     * Keys whose values are kept: identity and wiring (ids, drivers, buses, chardevs), placement (paths, hosts,
     * ports), sizes and topology, and switches. Nested JSON keys and dotted QemuOpts keys ({@code file.filename})
     * are judged by their last part.
     */
    private static final Set<String> SAFE_KEYS = Set.of(
            // identity and wiring
            "id", "driver", "type", "qom-type", "bus", "addr", "chardev", "netdev", "drive", "node-name", "backend",
            "memdev", "fsdev", "audiodev", "tpmdev", "iothread", "parent", "child", "file", "filename", "path",
            "mount_tag", "security_model", "guest", "process", "debug-threads", "mode", "if", "index", "unit",
            "media", "format", "cache", "aio", "discard", "detect-zeroes", "readonly", "read-only", "snapshot",
            "werror", "rerror", "bootindex", "romfile", "rombar", "multifunction", "x-vga", "host", "sysfsdev",
            "model", "mac", "vhost", "queues", "ifname", "br", "helper", "script", "downscript", "display",
            // sockets and listeners
            "server", "wait", "nowait", "port", "tls-port", "to", "ipv4", "ipv6", "unix", "nodelay", "reconnect",
            "telnet", "websocket", "mux", "logfile", "logappend", "signal", "tls-creds", "tls-authz", "sasl",
            "disable-ticketing", "x509-dir", "lossy", "share", "abstract", "tight", "endpoint", "verify-peer",
            "dir", "keyid",
            // machine, CPU and memory
            "accel", "kernel-irqchip", "kernel_irqchip", "usb", "dump-guest-core", "mem-merge", "vmport", "smm",
            "memory-backend", "cpus", "sockets", "dies", "clusters", "cores", "threads", "maxcpus", "books",
            "drawers", "size", "slots", "maxmem", "mem-path", "prealloc", "host-nodes", "policy", "merge", "dump",
            "reserve", "align", "hugetlb", "hugetlbsize", "nodeid", "node", "cpu", "mem-lock", "cpu-pm", "order",
            "once", "menu", "strict", "reboot-timeout", "splash-time", "base", "clock", "driftfix", "timestamp",
            "on", "obsolete", "elevateprivileges", "spawn", "resourcecontrol", "shift", "sleep", "events", "enable",
            "group", "gl", "rendernode", "charset");

    /** Throttling figures under their many spellings ({@code iops_rd_max}, {@code bps-total-max-length}). */
    private static final Pattern THROTTLE_KEY = Pattern.compile("(iops|bps)[a-z_-]*");
    /** A bare QemuOpts element after the first is a boolean switch ({@code server}, {@code +vmx}). */
    private static final Pattern SWITCH = Pattern.compile("[+-]?[A-Za-z][A-Za-z0-9_.-]{0,63}");
    private static final Pattern OPTION_NAME = Pattern.compile("--?[A-Za-z][A-Za-z0-9_-]{0,63}");
    /** A URL's user-info runs to the last '@' of its authority: a password may hold '@' itself. */
    private static final Pattern USER_INFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@");
    /**
     * Block-driver pseudo-filenames that embed options: {@code json:{…"password":…}} and Ceph's
     * {@code rbd:pool/image:id=admin:key=…}. Only their protocol is kept.
     */
    private static final Pattern EMBEDDED_OPTIONS = Pattern.compile("(json|rbd):.*", Pattern.DOTALL);

    private CommandLineRedaction() {
    }

    /** The argv with every value not known to be harmless masked; argv[0], the program, is kept. */
    public static List<String> redact(List<String> argv) {
        List<String> out = new ArrayList<>(argv.size());
        if (argv.isEmpty()) {
            return out;
        }
        out.add(kept(argv.get(0)));
        for (int i = 1; i < argv.size(); i++) {
            String word = argv.get(i);
            if (!word.startsWith("-") || word.length() < 2) {
                out.add(kept(word)); // a bare word is a disk image: QEMU reads it as -hda
                continue;
            }
            if (!OPTION_NAME.matcher(word).matches()) {
                out.add(MASK); // QEMU would have refused such an option: whatever it is, it is no option name
                continue;
            }
            out.add(word);
            String option = word.substring(word.startsWith("--") ? 2 : 1);
            boolean known = STRUCTURED.contains(option) || PLAIN.contains(option) || OPAQUE.contains(option);
            // QEMU gives a known option the next word whatever it starts with; of an option it does not know (a newer
            // QEMU's), a next word starting with '-' is taken for the next option.
            if (FLAGS.contains(option) || i + 1 >= argv.size() || (!known && argv.get(i + 1).startsWith("-"))) {
                continue;
            }
            String value = argv.get(++i);
            if (STRUCTURED.contains(option)) {
                out.add(structured(value));
            } else if (PLAIN.contains(option)) {
                out.add(kept(value));
            } else {
                out.add(MASK);
            }
        }
        return out;
    }

    private static String structured(String value) {
        if (value.startsWith("{")) {
            try {
                JsonNode tree = JSON.readTree(value);
                return tree != null && tree.isObject() ? JSON.writeValueAsString(maskJson(null, tree)) : MASK;
            } catch (JsonProcessingException e) {
                return MASK; // QEMU would refuse it too; its text may still hold a secret
            }
        }
        List<String> parts = QemuOptions.split(value);
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            int eq = part.indexOf('=');
            String element;
            if (eq >= 0) {
                String key = part.substring(0, eq);
                element = safeKey(key) ? key + "=" + kept(part.substring(eq + 1)) : key + "=" + MASK;
            } else if (i == 0) {
                element = kept(part); // the implied element: a driver, a backend, an address
            } else {
                element = SWITCH.matcher(part).matches() ? part : MASK;
            }
            if (i > 0) {
                out.append(',');
            }
            out.append(element.replace(",", ",,"));
        }
        return out.toString();
    }

    private static JsonNode maskJson(String key, JsonNode node) {
        if (node.isObject()) {
            ObjectNode masked = JSON.createObjectNode();
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                masked.set(field.getKey(), maskJson(field.getKey(), field.getValue()));
            }
            return masked;
        }
        if (node.isArray()) {
            ArrayNode masked = JSON.createArrayNode();
            node.forEach(element -> masked.add(maskJson(key, element)));
            return masked;
        }
        if (key == null || !safeKey(key)) {
            return TextNode.valueOf(MASK);
        }
        return node.isTextual() ? TextNode.valueOf(kept(node.asText())) : node;
    }

    /** Whether the allow-list keeps this key's value. */
    static boolean safeKey(String key) {
        String last = key.substring(key.lastIndexOf('.') + 1);
        return SAFE_KEYS.contains(last) || THROTTLE_KEY.matcher(last).matches();
    }

    /** A value that is kept, less any URL user-info and any options embedded in a pseudo-filename. */
    static String kept(String text) {
        if (EMBEDDED_OPTIONS.matcher(text).matches()) {
            return text.substring(0, text.indexOf(':') + 1) + MASK;
        }
        return text.indexOf('@') < 0 ? text : USER_INFO.matcher(text).replaceAll("$1" + MASK + "@");
    }
}
