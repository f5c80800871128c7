package dev.connpool.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link TlsRecords}: wherever TLS stands — at a boundary, inside a header, inside a body — the
 * bytes it may be handed end on a record boundary.
 */
class TlsRecordsTest {

    private static byte[] record(int bodyLength) {
        byte[] r = new byte[5 + bodyLength];
        r[0] = 23;
        r[1] = 3;
        r[2] = 3;
        r[3] = (byte) (bodyLength >> 8);
        r[4] = (byte) bodyLength;
        Arrays.fill(r, 5, r.length, (byte) 0xee);
        return r;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Passes the first {@code passed} bytes of the stream, then asks about the rest. */
    private static int wholeAfter(byte[] stream, int passed) {
        TlsRecords records = new TlsRecords();
        records.passed(stream, 0, passed);
        return records.wholeRecords(ByteBuffer.wrap(stream, passed, stream.length - passed));
    }

    @Test
    void atABoundaryOnlyWholeRecordsCount() {
        byte[] stream = concat(record(300), record(1000), Arrays.copyOf(record(50), 20));

        assertThat(wholeAfter(stream, 0)).isEqualTo(305 + 1005);
    }

    @Test
    void nothingWholeWhenOnlyPartOfTheNextRecordIsThere() {
        assertThat(wholeAfter(Arrays.copyOf(record(50), 3), 0)).isZero();
        assertThat(wholeAfter(Arrays.copyOf(record(50), 54), 0)).isZero();
    }

    @Test
    void insideABodyTheRestOfItComesFirst() {
        byte[] stream = concat(record(300), record(40), Arrays.copyOf(record(50), 7));

        // TLS read the header and 100 bytes of the first body, then its read timed out
        assertThat(wholeAfter(stream, 105)).isEqualTo(200 + 45);
    }

    @Test
    void insideABodyWhoseRestIsMissingNothingIsWhole() {
        byte[] stream = Arrays.copyOf(record(300), 250);

        assertThat(wholeAfter(stream, 105)).isZero();
    }

    @Test
    void insideAHeaderTheLengthIsReadAcrossTheSplit() {
        byte[] stream = concat(record(0x0123), record(2));

        for (int split = 1; split < 5; split++) {
            assertThat(wholeAfter(stream, split)).as("header split after %d bytes", split)
                    .isEqualTo(5 + 0x0123 + 7 - split);
        }
    }

    @Test
    void passedBytesMaySpanManyRecords() {
        byte[] stream = concat(record(10), record(20), record(30), record(40));
        TlsRecords records = new TlsRecords();
        records.passed(stream, 0, 15);
        records.passed(stream, 15, 30); // the second record whole and 5 bytes of the third
        records.passed(stream, 45, 2);

        assertThat(records.wholeRecords(ByteBuffer.wrap(stream, 47, stream.length - 47)))
                .isEqualTo(stream.length - 47);
    }

    @Test
    void anEmptyRecordIsWholeWithItsHeader() {
        byte[] stream = concat(record(0), Arrays.copyOf(record(9), 4));

        assertThat(wholeAfter(stream, 0)).isEqualTo(5);
    }

    @Test
    void theBufferIsNotMoved() {
        ByteBuffer buf = ByteBuffer.wrap(record(10));

        new TlsRecords().wholeRecords(buf);

        assertThat(buf.position()).isZero();
        assertThat(buf.limit()).isEqualTo(15);
    }
}
