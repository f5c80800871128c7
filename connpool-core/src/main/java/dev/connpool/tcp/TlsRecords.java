package dev.connpool.tcp;

import java.nio.ByteBuffer;

/**
 * Follows TLS record boundaries in the bytes a {@link PeekableSocket} hands to the TLS layer above
 * it. A record is a 5-byte header (type, version, 2-byte length) and that many bytes of body.
 *
 * <p>The liveness check may only hand TLS whole records, or TLS would block for the rest. Where
 * the next boundary lies cannot be read off the buffered bytes alone: TLS reads a header and its
 * body in separate reads, and a read that timed out for the user leaves TLS in the middle of a
 * record (it keeps what it has and carries on with the next read). So every byte handed out is
 * counted here, and boundaries are found from where TLS really stands.
 */
final class TlsRecords {

    private static final int HEADER = 5;

    // where TLS stands: headerSeen bytes into the next header (0..4), or bodyLeft bytes short of
    // the end of the current record's body; both 0 at a record boundary
    private int headerSeen;
    private int length; // the length field of the header being read, as far as seen
    private int bodyLeft;

    /**
     * Accounts for bytes handed to TLS. Costs a step per record, not per byte.
     *
     * @param b the bytes
     * @param off where they start
     * @param len how many
     */
    void passed(byte[] b, int off, int len) {
        int p = off;
        int end = off + len;
        while (p < end) {
            if (bodyLeft > 0) {
                int skip = Math.min(bodyLeft, end - p);
                bodyLeft -= skip;
                p += skip;
                continue;
            }
            length = lengthAfter(headerSeen, length, b[p++] & 0xff);
            if (++headerSeen == HEADER) {
                headerSeen = 0;
                bodyLeft = length;
            }
        }
    }

    /**
     * How many of the buffered bytes, which follow those passed so far, take TLS to a record
     * boundary: the rest of the current record, then whole records; none if the current record is
     * not complete yet. Does not move the buffer.
     *
     * @param buf pending bytes between position and limit
     * @return the number of bytes that end on a record boundary
     */
    int wholeRecords(ByteBuffer buf) {
        int start = buf.position();
        int limit = buf.limit();
        int p = start;
        int seen = headerSeen;
        int len = length;
        int left = bodyLeft;
        int boundary = seen == 0 && left == 0 ? start : -1;
        while (true) {
            if (left > 0) {
                if (limit - p < left) {
                    break;
                }
                p += left;
                left = 0;
                boundary = p;
                continue;
            }
            if (p >= limit) {
                break;
            }
            len = lengthAfter(seen, len, buf.get(p++) & 0xff);
            if (++seen == HEADER) {
                seen = 0;
                left = len;
                if (left == 0) {
                    boundary = p; // an empty record is whole with its header
                }
            }
        }
        return boundary < 0 ? 0 : boundary - start;
    }

    /** The length field as far as seen, after header byte {@code v} at index {@code seen} (0..4). */
    private static int lengthAfter(int seen, int length, int v) {
        return seen == 3 ? v << 8 : seen == 4 ? length | v : length;
    }
}
