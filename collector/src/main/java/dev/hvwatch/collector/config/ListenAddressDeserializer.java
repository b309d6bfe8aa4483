package dev.hvwatch.collector.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code host:port} or {@code [ipv6]:port}, left unresolved until the server binds it. */
final class ListenAddressDeserializer extends StdScalarDeserializer<InetSocketAddress> {
    private static final Pattern FORMAT = Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)]|([^:\\[\\]]+)):(\\d{1,5})");
    private static final int MAX_PORT = 65535;

    ListenAddressDeserializer() {
        super(InetSocketAddress.class);
    }

    @Override
    public InetSocketAddress deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        String text = parser.getValueAsString();
        Matcher matcher = FORMAT.matcher(text == null ? "" : text.trim());
        if (!matcher.matches() || Integer.parseInt(matcher.group(3)) > MAX_PORT) {
            return (InetSocketAddress) context.handleWeirdStringValue(InetSocketAddress.class, parser.getText(),
                    "not a listen address; write host:port or [ipv6]:port with a port up to 65535");
        }
        String host = matcher.group(1) != null ? matcher.group(1) : matcher.group(2);
        return InetSocketAddress.createUnresolved(host, Integer.parseInt(matcher.group(3)));
    }
}
