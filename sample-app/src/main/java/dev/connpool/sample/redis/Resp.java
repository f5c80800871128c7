package dev.connpool.sample.redis;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The Redis serialization protocol, version 2 (what Redis speaks unless a client sends
 * {@code HELLO 3}): commands go out as arrays of bulk strings, replies come back as one of five
 * types, arrays nesting any of them.
 *
 * <pre>
 * SET k v   →  *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n
 * +OK\r\n  -ERR msg\r\n  :42\r\n  $5\r\nhello\r\n  $-1\r\n (nil)  *2\r\n...  *-1\r\n (nil)
 * </pre>
 *
 * Strict: a reply that breaks the protocol is a {@link ProtocolException}, after which the
 * connection's state is unknown and it must not be used again.
 */
public final class Resp {

    /** Largest bulk string accepted (Redis allows 512 MB; a sample has no use for that much). */
    static final int MAX_BULK_BYTES = 16 * 1024 * 1024;

    /** Most elements in one array, and deepest nesting, accepted. */
    static final int MAX_ELEMENTS = 1_000_000;
    static final int MAX_DEPTH = 32;

    /** Longest line of a simple string, error or length. */
    static final int MAX_LINE_BYTES = 64 * 1024;

    private Resp() {
    }

    /** A reply. */
    public sealed interface Value permits SimpleString, ErrorReply, Int, BulkString, Array {

        /**
         * The reply as JSON would show it: a simple or bulk string as a string, an integer as a
         * number, nil as null, an array as a list, an error nested in an array as
         * {@code {"error": message}}.
         *
         * @return a String, Long, List, Map or null
         */
        @Nullable Object toJson();
    }

    /** {@code +OK}: a status. */
    public record SimpleString(String value) implements Value {

        public SimpleString {
            Objects.requireNonNull(value, "value must not be null");
        }

        @Override
        public Object toJson() {
            return value;
        }
    }

    /** {@code -ERR message}: the command failed; the connection is fine. */
    public record ErrorReply(String message) implements Value {

        public ErrorReply {
            Objects.requireNonNull(message, "message must not be null");
        }

        @Override
        public Object toJson() {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("error", message);
            return error;
        }
    }

    /** {@code :42}. */
    public record Int(long value) implements Value {

        @Override
        public Object toJson() {
            return value;
        }
    }

    /** {@code $5 hello}, read as UTF-8; {@code $-1} is nil, a null value. */
    public record BulkString(@Nullable String value) implements Value {

        public static final BulkString NIL = new BulkString(null);

        @Override
        public @Nullable Object toJson() {
            return value;
        }
    }

    /** {@code *2 ...}; {@code *-1} is nil, null elements. */
    public record Array(@Nullable List<Value> elements) implements Value {

        public static final Array NIL = new Array(null);

        public Array {
            elements = elements == null ? null : List.copyOf(elements);
        }

        @Override
        public @Nullable Object toJson() {
            if (elements == null) {
                return null;
            }
            List<Object> list = new ArrayList<>(elements.size());
            for (Value v : elements) {
                list.add(v.toJson());
            }
            return Collections.unmodifiableList(list);
        }
    }

    /** A reply that breaks the protocol. */
    public static final class ProtocolException extends IOException {

        private static final long serialVersionUID = 1L;

        ProtocolException(String message) {
            super("RESP protocol error: " + message);
        }
    }

    /**
     * Encodes a command as Redis expects it from a client: an array of bulk strings, each the UTF-8
     * bytes of one part, whatever they contain (spaces, line breaks, ...).
     *
     * @param parts the command and its arguments; at least one
     * @return the bytes to send
     * @throws IllegalArgumentException if there are no parts
     */
    public static byte[] command(List<String> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a command needs at least its name");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + 16 * parts.size());
        ascii(out, "*" + parts.size() + "\r\n");
        for (String part : parts) {
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            ascii(out, "$" + bytes.length + "\r\n");
            out.write(bytes, 0, bytes.length);
            ascii(out, "\r\n");
        }
        return out.toByteArray();
    }

    private static void ascii(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        out.write(b, 0, b.length);
    }

    /**
     * Reads one whole reply, nested arrays included. Reads a byte at a time: give it a buffered
     * stream.
     *
     * @param in the connection's input, buffered
     * @return the reply
     * @throws ProtocolException if the bytes are not a RESP2 reply
     * @throws EOFException if the stream ends within the reply
     * @throws IOException if reading fails
     */
    public static Value read(InputStream in) throws IOException {
        return read(in, 0);
    }

    private static Value read(InputStream in, int depth) throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed " + (depth == 0 ? "before the reply" : "within the reply"));
        }
        switch (type) {
            case '+':
                return new SimpleString(line(in));
            case '-':
                return new ErrorReply(line(in));
            case ':':
                return new Int(number(line(in)));
            case '$':
                return bulk(in, number(line(in)));
            case '*':
                return array(in, number(line(in)), depth);
            default:
                throw new ProtocolException("unknown reply type " + printable(type)
                        + " (RESP3 replies are not supported)");
        }
    }

    private static BulkString bulk(InputStream in, long length) throws IOException {
        if (length == -1) {
            return BulkString.NIL;
        }
        if (length < 0 || length > MAX_BULK_BYTES) {
            throw new ProtocolException("bulk string length " + length + " out of range");
        }
        byte[] bytes = in.readNBytes((int) length);
        if (bytes.length < length) {
            throw new EOFException("connection closed within a bulk string");
        }
        crlf(in);
        return new BulkString(new String(bytes, StandardCharsets.UTF_8));
    }

    private static Array array(InputStream in, long count, int depth) throws IOException {
        if (count == -1) {
            return Array.NIL;
        }
        if (count < 0 || count > MAX_ELEMENTS) {
            throw new ProtocolException("array length " + count + " out of range");
        }
        if (depth >= MAX_DEPTH) {
            throw new ProtocolException("arrays nested deeper than " + MAX_DEPTH);
        }
        List<Value> elements = new ArrayList<>((int) Math.min(count, 1024));
        for (long i = 0; i < count; i++) {
            elements.add(read(in, depth + 1));
        }
        return new Array(elements);
    }

    /** The rest of a line, up to CRLF, which must end it (a lone CR or LF is an error). */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(32);
        for (;;) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed within a line");
            }
            if (b == '\r') {
                int next = in.read();
                if (next < 0) {
                    throw new EOFException("connection closed within a line");
                }
                if (next != '\n') {
                    throw new ProtocolException("CR not followed by LF");
                }
                return line.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n') {
                throw new ProtocolException("LF without CR");
            }
            if (line.size() >= MAX_LINE_BYTES) {
                throw new ProtocolException("line longer than " + MAX_LINE_BYTES + " bytes");
            }
            line.write(b);
        }
    }

    private static void crlf(InputStream in) throws IOException {
        int cr = in.read();
        int lf = in.read();
        if (cr < 0 || lf < 0) {
            throw new EOFException("connection closed within a bulk string");
        }
        if (cr != '\r' || lf != '\n') {
            throw new ProtocolException("bulk string not followed by CRLF");
        }
    }

    private static long number(String s) throws ProtocolException {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new ProtocolException("not an integer: \"" + s + "\"");
        }
    }

    private static String printable(int b) {
        return b >= 32 && b < 127 ? "'" + (char) b + "'" : String.format("0x%02x", b);
    }
}
