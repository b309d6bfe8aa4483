package dev.hvwatch.protocol.config;

import java.net.InetSocketAddress;

/** {@code host:port} as written in the config; IPv6 literals in brackets, {@code [::1]:9847}. */
public record HostPort(String host, int port) {

    public static HostPort parse(String key, String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(key + " must be host:port, got '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " has a port that is not a number: '" + text + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(key + " has port " + port + ", outside 0-65535");
        }
        return new HostPort(host, port);
    }

    public InetSocketAddress toAddress() {
        return new InetSocketAddress(host, port);
    }
}
