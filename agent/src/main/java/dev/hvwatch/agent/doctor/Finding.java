package dev.hvwatch.agent.doctor;

/**
 * One line of {@code hvwatch-agent doctor}: a capability, whether this host offers it, why, and how to enable it.
 *
 * @param fix what an operator can do about it, or null when nothing is needed
 */
public record Finding(String capability, Status status, String detail, String fix) {

    public enum Status {
        /** Available. */
        OK,
        /** Not available; the agent works without it, with less telemetry. */
        DEGRADED,
        /** Not available, and without it the agent cannot watch this host. */
        BLOCKING
    }

    public static Finding ok(String capability, String detail) {
        return new Finding(capability, Status.OK, detail, null);
    }

    public static Finding degraded(String capability, String detail, String fix) {
        return new Finding(capability, Status.DEGRADED, detail, fix);
    }

    public static Finding blocking(String capability, String detail, String fix) {
        return new Finding(capability, Status.BLOCKING, detail, fix);
    }

    /** "[ ok ] kvm: …" and, when there is a fix, an indented "fix: …" line. */
    public String render() {
        String tag = switch (status) {
            case OK -> "[ ok ]";
            case DEGRADED -> "[warn]";
            case BLOCKING -> "[FAIL]";
        };
        return tag + " " + capability + ": " + detail + (fix == null ? "" : System.lineSeparator() + "       fix: " + fix);
    }
}
