package dev.hvwatch.collector.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import dev.hvwatch.protocol.config.HostPort;
import java.io.IOException;
import java.net.InetSocketAddress;

/** {@code host:port} or {@code [ipv6]:port}, left unresolved until the server binds it. */
final class ListenAddressDeserializer extends StdScalarDeserializer<InetSocketAddress> {

    ListenAddressDeserializer() {
        super(InetSocketAddress.class);
    }

    @Override
    public InetSocketAddress deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        try {
            HostPort address = HostPort.parse("listen", parser.getValueAsString(""));
            return InetSocketAddress.createUnresolved(address.host(), address.port());
        } catch (IllegalArgumentException e) {
            return (InetSocketAddress) context.handleWeirdStringValue(InetSocketAddress.class, parser.getText(),
                    e.getMessage());
        }
    }
}
