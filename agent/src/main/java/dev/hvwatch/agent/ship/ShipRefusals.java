package dev.hvwatch.agent.ship;

import dev.hvwatch.protocol.wire.RefusalReason;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;

/**
 * Why collectors refused this agent, counted by reason for {@code hvwatch_ship_refusals_total{reason}}: the reasons
 * of the collector's REFUSE frames, and refusals of the TLS handshake, which come as TLS alerts instead
 * ({@value #CERTIFICATE_REVOKED}: the collector's revocation list names this agent's certificate;
 * {@value #CERTIFICATE_REFUSED}: it does not trust it, or no longer, e.g. another CA or expired).
 */
final class ShipRefusals {
    static final String CERTIFICATE_REVOKED = "certificate_revoked";
    static final String CERTIFICATE_REFUSED = "certificate_refused";
    /** The TLS alerts a server sends about the client's certificate, in OpenSSL's and the JDK's words. */
    private static final List<String> CERTIFICATE_ALERTS = List.of("bad_certificate", "bad certificate",
            "unknown_ca", "unknown ca", "certificate_unknown", "certificate unknown", "certificate_expired",
            "certificate expired", "unsupported_certificate", "unsupported certificate", "certificate_required",
            "certificate required", "access_denied", "access denied");

    private final Map<String, AtomicLong> counts;

    ShipRefusals() {
        Map<String, AtomicLong> byReason = new LinkedHashMap<>();
        for (String reason : reasons()) {
            byReason.put(reason, new AtomicLong());
        }
        counts = Collections.unmodifiableMap(byReason);
    }

    /** Every reason that can be counted, each a label of the metric from the start. */
    static List<String> reasons() {
        List<String> reasons = new ArrayList<>();
        for (RefusalReason reason : RefusalReason.values()) {
            reasons.add(reason.label());
        }
        reasons.add(CERTIFICATE_REVOKED);
        reasons.add(CERTIFICATE_REFUSED);
        return reasons;
    }

    long count(String reason) {
        AtomicLong count = counts.get(reason);
        return count == null ? 0 : count.get();
    }

    void record(String reason) {
        counts.get(reason).incrementAndGet();
    }

    /**
     * The refusal a TLS failure stands for, or null when it is not one: a connection reset or a handshake that
     * failed for another reason than this agent's certificate.
     */
    static String of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLException && t.getMessage() != null) {
                String message = t.getMessage().toLowerCase(Locale.ROOT);
                if (message.contains("certificate_revoked") || message.contains("certificate revoked")) {
                    return CERTIFICATE_REVOKED;
                }
                if (CERTIFICATE_ALERTS.stream().anyMatch(message::contains)) {
                    return CERTIFICATE_REFUSED;
                }
            }
        }
        return null;
    }
}
