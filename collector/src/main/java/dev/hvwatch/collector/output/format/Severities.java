package dev.hvwatch.collector.output.format;

import dev.hvwatch.protocol.Severity;

/** Each format's scale for hvwatch's five severities, side by side so that they stay consistent. */
final class Severities {
    private Severities() {
    }

    /** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
    static int ocsf(Severity severity) {
        return severity.ordinal() + 1;
    }

    static String ocsfCaption(Severity severity) {
        return switch (severity) {
            case INFO -> "Informational";
            case LOW -> "Low";
            case MEDIUM -> "Medium";
            case HIGH -> "High";
            case CRITICAL -> "Critical";
        };
    }

    /** CEF's 0 to 10, spread over ArcSight's bands (0-3 low, 4-6 medium, 7-8 high, 9-10 very high). */
    static int cef(Severity severity) {
        return switch (severity) {
            case INFO -> 1;
            case LOW -> 3;
            case MEDIUM -> 5;
            case HIGH -> 8;
            case CRITICAL -> 10;
        };
    }

    /** RFC 5424 severity: 2 critical, 3 error, 4 warning, 5 notice, 6 informational. */
    static int syslog(Severity severity) {
        return switch (severity) {
            case INFO -> 6;
            case LOW -> 5;
            case MEDIUM -> 4;
            case HIGH -> 3;
            case CRITICAL -> 2;
        };
    }
}
