package dev.hvwatch.protocol.wire;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.hvwatch.protocol.Alert;
import dev.hvwatch.protocol.AlertJson;
import dev.hvwatch.protocol.EncodedAlert;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the JSON array of an ALERTS payload into alerts, keeping each alert's own bytes: the collector journals
 * those as they came instead of serialising every alert again, which would cost as much as parsing it.
 */
final class AlertArrayReader {
    private static final ObjectReader ALERT = AlertJson.mapper().readerFor(Alert.class);

    private AlertArrayReader() {
    }

    /** @throws IOException for anything but an array of valid alerts, each written on one line */
    static List<EncodedAlert> read(byte[] payload) throws IOException {
        try (JsonParser parser = AlertJson.mapper().getFactory().createParser(payload)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new IOException("not a JSON array of alerts");
            }
            // The iterator reads elements from the next token on; the array's start is ours.
            parser.clearCurrentToken();
            List<EncodedAlert> alerts = new ArrayList<>();
            // One iterator for the whole array: a reader call per element would set up its context every time.
            try (MappingIterator<Alert> elements = ALERT.readValues(parser)) {
                while (elements.hasNextValue()) {
                    JsonToken token = parser.currentToken();
                    if (token != JsonToken.START_OBJECT) {
                        throw new IOException("element " + alerts.size() + " of the alert array is "
                                + (token.asString() != null ? token.asString() : token) + ", not an alert");
                    }
                    JsonLocation start = parser.currentTokenLocation();
                    Alert alert = elements.nextValue();
                    JsonLocation end = parser.currentLocation();
                    // Journals and the JSON-lines output hold one alert per line; JSON allows line breaks as
                    // whitespace, which the parser counts.
                    if (end.getLineNr() != start.getLineNr()) {
                        throw new IOException("element " + alerts.size() + " of the alert array spans several lines");
                    }
                    alerts.add(new EncodedAlert(alert,
                            Arrays.copyOfRange(payload, (int) start.getByteOffset(), (int) end.getByteOffset())));
                }
            }
            if (parser.nextToken() != null) {
                throw new IOException("content after the alert array");
            }
            return alerts;
        }
    }
}
