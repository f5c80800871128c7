package dev.connpool.sample.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.connpool.sample.redis.Resp.Array;
import dev.connpool.sample.redis.Resp.BulkString;
import dev.connpool.sample.redis.Resp.ErrorReply;
import dev.connpool.sample.redis.Resp.Int;
import dev.connpool.sample.redis.Resp.SimpleString;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The RESP2 codec: commands as Redis expects them, every reply type, and replies that break the protocol. */
class RespTest {

    @Test
    void encodesACommandAsAnArrayOfBulkStrings() {
        assertThat(ascii(Resp.command(List.of("SET", "k", "v"))))
                .isEqualTo("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
        assertThat(ascii(Resp.command(List.of("PING")))).isEqualTo("*1\r\n$4\r\nPING\r\n");
    }

    @Test
    void bulkStringLengthsCountUtf8BytesAndPartsMayHoldAnything() {
        // "é" and "✓" are 2 and 3 bytes; an empty part, spaces and a CRLF inside a part are data
        byte[] encoded = Resp.command(List.of("SET", "é", "", "a b\r\n✓"));
        byte[] expected = concat("*4\r\n$3\r\nSET\r\n$2\r\n", "é", "\r\n$0\r\n\r\n$8\r\n", "a b\r\n✓", "\r\n");
        assertThat(encoded).isEqualTo(expected);
    }

    @Test
    void refusesAnEmptyCommand() {
        assertThatThrownBy(() -> Resp.command(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsSimpleStringsErrorsAndIntegers() throws IOException {
        assertThat(read("+OK\r\n")).isEqualTo(new SimpleString("OK"));
        assertThat(read("+\r\n")).isEqualTo(new SimpleString(""));
        assertThat(read("-ERR unknown command 'FOO'\r\n")).isEqualTo(new ErrorReply("ERR unknown command 'FOO'"));
        assertThat(read(":0\r\n")).isEqualTo(new Int(0));
        assertThat(read(":-42\r\n")).isEqualTo(new Int(-42));
        assertThat(read(":9223372036854775807\r\n")).isEqualTo(new Int(Long.MAX_VALUE));
    }

    @Test
    void readsBulkStringsByLengthSoTheyMayHoldCrlf() throws IOException {
        assertThat(read("$5\r\nhello\r\n")).isEqualTo(new BulkString("hello"));
        assertThat(read("$0\r\n\r\n")).isEqualTo(new BulkString(""));
        assertThat(read("$4\r\na\r\nb\r\n")).isEqualTo(new BulkString("a\r\nb"));
        assertThat(Resp.read(stream(concat("$3\r\n", "✓", "\r\n")))).isEqualTo(new BulkString("✓"));
    }

    @Test
    void readsNilBulkStringAndNilArrayAsNull() throws IOException {
        assertThat(read("$-1\r\n")).isEqualTo(BulkString.NIL);
        assertThat(read("$-1\r\n").toJson()).isNull();
        assertThat(read("*-1\r\n")).isEqualTo(Array.NIL);
        assertThat(read("*-1\r\n").toJson()).isNull();
    }

    @Test
    void readsNestedArraysWithEveryTypeInside() throws IOException {
        Resp.Value v = read("*6\r\n:1\r\n*2\r\n$1\r\na\r\n*1\r\n$1\r\nb\r\n$-1\r\n-ERR boom\r\n+OK\r\n*0\r\n");
        assertThat(v).isEqualTo(new Array(List.of(new Int(1),
                new Array(List.of(new BulkString("a"), new Array(List.of(new BulkString("b"))))),
                BulkString.NIL, new ErrorReply("ERR boom"), new SimpleString("OK"), new Array(List.of()))));
        assertThat(v.toJson()).isEqualTo(Arrays.asList(1L, List.of("a", List.of("b")), null,
                Map.of("error", "ERR boom"), "OK", List.of()));
    }

    @Test
    void readsExactlyOneReplyAndLeavesTheNextOne() throws IOException {
        InputStream in = stream("+OK\r\n:7\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(Resp.read(in)).isEqualTo(new SimpleString("OK"));
        assertThat(Resp.read(in)).isEqualTo(new Int(7));
    }

    @Test
    void rejectsRepliesThatBreakTheProtocol() {
        assertProtocolError("?what\r\n", "unknown reply type '?'");
        assertProtocolError("%1\r\n+a\r\n+b\r\n", "RESP3");
        assertProtocolError("+OK\n", "LF without CR");
        assertProtocolError("+OK\rX", "CR not followed by LF");
        assertProtocolError(":12x\r\n", "not an integer");
        assertProtocolError("$abc\r\n", "not an integer");
        assertProtocolError("$-2\r\n", "bulk string length -2");
        assertProtocolError("$" + (Resp.MAX_BULK_BYTES + 1) + "\r\n", "out of range");
        assertProtocolError("$3\r\nabcd\r\n", "not followed by CRLF");
        assertProtocolError("*-5\r\n", "array length -5");
        assertProtocolError("*1\r\n".repeat(Resp.MAX_DEPTH + 1) + ":1\r\n", "nested deeper");
        assertProtocolError("+" + "x".repeat(Resp.MAX_LINE_BYTES + 1) + "\r\n", "line longer");
    }

    @Test
    void aReplyCutShortIsAnEndOfStream() {
        for (String cut : List.of("", "+OK", "+OK\r", "$5\r\nhel", "$5\r\nhello", "$5\r\nhello\r", "*2\r\n:1\r\n",
                ":")) {
            assertThatThrownBy(() -> read(cut)).as("reply %s", cut.replace("\r\n", "\\r\\n"))
                    .isInstanceOf(EOFException.class);
        }
    }

    private static void assertProtocolError(String reply, String message) {
        assertThatThrownBy(() -> read(reply)).as("reply %s", reply.length() > 40 ? reply.substring(0, 40) : reply)
                .isInstanceOf(Resp.ProtocolException.class)
                .hasMessageContaining(message);
    }

    private static Resp.Value read(String reply) throws IOException {
        return Resp.read(stream(reply.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private static InputStream stream(byte[] bytes) {
        return new BufferedInputStream(new ByteArrayInputStream(bytes));
    }

    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] concat(String... parts) {
        StringBuilder sb = new StringBuilder();
        for (String p : parts) {
            sb.append(p);
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
