package dev.hvwatch.collector.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.hvwatch.collector.api.AlertPages.Page;
import dev.hvwatch.collector.journal.JournalEntry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** The bodies the API answers with: JSON for the API and its errors, events for streams, text for metrics. */
final class Answers {
    static final String JSON = "application/json";
    private static final ObjectMapper MAPPER = JsonMapper.builder().build();
    private static final byte[] PAGE_START = "{\"alerts\":[".getBytes(StandardCharsets.US_ASCII);

    private Answers() {
    }

    static FullHttpResponse json(HttpResponseStatus status, Map<String, ?> body) {
        try {
            return full(status, JSON, Unpooled.wrappedBuffer(MAPPER.writeValueAsBytes(body)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an answer of strings cannot fail to serialise", e);
        }
    }

    /** 4xx and 5xx answers: {@code {"error": "Unauthorized", "reason": "..."}}. */
    static FullHttpResponse error(HttpResponseStatus status, String reason) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", status.reasonPhrase());
        body.put("reason", reason);
        return json(status, body);
    }

    /** 400 naming the parameter: {@code {"error": "Bad Request", "parameter": "since", "reason": "..."}}. */
    static FullHttpResponse badParameter(BadParameter bad) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", HttpResponseStatus.BAD_REQUEST.reasonPhrase());
        body.put("parameter", bad.parameter());
        body.put("reason", bad.parameter() + ": " + bad.getMessage());
        return json(HttpResponseStatus.BAD_REQUEST, body);
    }

    static FullHttpResponse text(HttpResponseStatus status, String contentType, String body) {
        return full(status, contentType, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    }

    /**
     * {@code {"alerts": [...], "next": "CURSOR", "more": false}}. Written by hand around the journal's bytes: the
     * alerts are canonical JSON already, and copying them spares parsing and serialising each one again.
     */
    static FullHttpResponse page(ByteBufAllocator allocator, Page page) {
        int size = PAGE_START.length + 64;
        for (JournalEntry entry : page.alerts()) {
            size += entry.json().length + 1;
        }
        ByteBuf body = allocator.buffer(size);
        body.writeBytes(PAGE_START);
        for (int i = 0; i < page.alerts().size(); i++) {
            if (i > 0) {
                body.writeByte(',');
            }
            body.writeBytes(page.alerts().get(i).json());
        }
        String next = page.next() == 0 ? "null" : "\"" + ApiParameters.cursor(page.next()) + "\"";
        body.writeCharSequence("],\"next\":" + next + ",\"more\":" + page.more() + "}", StandardCharsets.US_ASCII);
        return full(HttpResponseStatus.OK, JSON, body);
    }

    /**
     * One server-sent event: its id is the alert's journal index, which a client sends back as Last-Event-ID to
     * resume after it; canonical JSON holds no line break, so the alert is one data line.
     */
    static void event(ByteBuf out, JournalEntry entry) {
        out.writeCharSequence("id: " + ApiParameters.cursor(entry.index()) + "\nevent: alert\ndata: ",
                StandardCharsets.US_ASCII);
        out.writeBytes(entry.json()).writeByte('\n').writeByte('\n');
    }

    private static FullHttpResponse full(HttpResponseStatus status, String contentType, ByteBuf body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }
}
