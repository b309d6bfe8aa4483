package dev.hvwatch.collector.ingest;

import io.netty.channel.Channel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which connection speaks for each agent identity. One certificate, one live connection: a second one is refused
 * rather than merged, since two agents sharing a certificate would number their alerts independently and lose each
 * other's as duplicates. A connection the agent left without closing holds its identity until the idle timeout.
 */
final class ConnectedAgents {
    private final Map<String, Channel> byIdentity = new ConcurrentHashMap<>();

    /**
     * Makes {@code channel} the one of {@code identity}, unless another live connection is.
     *
     * @return null when it is now, or the live connection that holds the identity
     */
    Channel claim(String identity, Channel channel) {
        Channel[] holder = new Channel[1];
        byIdentity.compute(identity, (id, current) -> {
            if (current != null && current != channel && current.isActive()) {
                holder[0] = current;
                return current;
            }
            return channel;
        });
        return holder[0];
    }

    void release(String identity, Channel channel) {
        byIdentity.remove(identity, channel);
    }
}
