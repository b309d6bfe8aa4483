package dev.hvwatch.collector.api;

import dev.hvwatch.protocol.tls.PeerIdentity;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Who may ask what. A request is let in by a bearer token from {@code api.tokens}, or by a client certificate that
 * the TLS handshake verified (CA, revocation list) and whose CN is in {@code api.clientNames}; the paths in
 * {@code api.openOnLoopback} let in any peer on a loopback address without either. A token that is presented must be
 * right, whatever certificate comes with it.
 */
final class ApiAuth {
    private static final String BEARER = "bearer ";

    private final ApiTokens tokens;
    private final Set<String> clientNames;
    private final List<String> openOnLoopback;

    ApiAuth(ApiTokens tokens, List<String> clientNames, List<String> openOnLoopback) {
        this.tokens = tokens;
        this.clientNames = Set.copyOf(clientNames);
        this.openOnLoopback = List.copyOf(openOnLoopback);
    }

    /** Let in, by whom (for the logs), or refused with a status and a reason the client is told. */
    sealed interface Verdict {
    }

    record Allowed(String who) implements Verdict {
    }

    record Refused(HttpResponseStatus status, String reason) implements Verdict {
    }

    Verdict check(Channel channel, String path, HttpHeaders headers) {
        if (openOnLoopback.contains(path) && channel.remoteAddress() instanceof InetSocketAddress peer
                && peer.getAddress() != null && peer.getAddress().isLoopbackAddress()) {
            return new Allowed("loopback");
        }
        String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null) {
            return bearer(authorization);
        }
        String certified = certifiedName(channel);
        if (certified != null) {
            return clientNames.contains(certified)
                    ? new Allowed("certificate " + certified)
                    : new Refused(HttpResponseStatus.FORBIDDEN, "the client certificate's CN '" + certified
                            + "' is not in api.clientNames");
        }
        return new Refused(HttpResponseStatus.UNAUTHORIZED,
                "credentials required: an Authorization: Bearer TOKEN header or a client certificate");
    }

    private Verdict bearer(String authorization) {
        if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return new Refused(HttpResponseStatus.UNAUTHORIZED, "the Authorization header must be 'Bearer TOKEN', "
                    + "not '" + authorization.split(" ", 2)[0].toLowerCase(Locale.ROOT) + " ...'");
        }
        String holder = tokens.holder(authorization.substring(BEARER.length()).strip());
        return holder != null
                ? new Allowed("token of " + holder)
                : new Refused(HttpResponseStatus.UNAUTHORIZED, "the bearer token is not one of api.tokens");
    }

    /** The CN of the client certificate the handshake verified, or null when the client sent none. */
    private static String certifiedName(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return null;
        }
        try {
            return PeerIdentity.of(ssl.engine().getSession());
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
