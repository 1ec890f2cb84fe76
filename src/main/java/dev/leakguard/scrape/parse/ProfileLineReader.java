package dev.leakguard.scrape.parse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads UTF-8 lines with a bounded buffer: a line longer than {@link ProfileLimits#MAX_LINE_BYTES}
 * is an error, not a reason to grow. Malformed UTF-8 is replaced, not rejected, so any bytes
 * decode. Every line of a real profile ends with a newline, so input that stops mid-line is
 * reported as truncated.
 */
final class ProfileLineReader {

    private static final int BYTE_ORDER_MARK = '\uFEFF';
    private static final int MAX_EMPTY_READS = 100;

    private final InputStream in;
    private final byte[] buffer = new byte[ProfileLimits.MAX_LINE_BYTES + 1];
    private int start;
    private int end;
    private boolean eof;
    private long lineNumber;

    ProfileLineReader(InputStream in) {
        this.in = in;
    }

    /** The next line without its line break, or null at the end of the input. */
    String next() throws ProfileParseException {
        int scanned = 0;
        while (true) {
            for (int i = start + scanned; i < end; i++) {
                if (buffer[i] == '\n') {
                    return take(i);
                }
            }
            scanned = end - start;
            if (eof) {
                if (start < end) {
                    throw ProfileParseException.at(lineNumber + 1, "the profile ends in the middle of a line (truncated?)");
                }
                return null;
            }
            fill();
        }
    }

    /** The 1-based number of the line {@link #next()} returned last. */
    long lineNumber() {
        return lineNumber;
    }

    private String take(int newline) {
        int lineEnd = newline > start && buffer[newline - 1] == '\r' ? newline - 1 : newline;
        String line = new String(buffer, start, lineEnd - start, StandardCharsets.UTF_8);
        start = newline + 1;
        lineNumber++;
        if (lineNumber == 1 && !line.isEmpty() && line.charAt(0) == BYTE_ORDER_MARK) {
            return line.substring(1);
        }
        return line;
    }

    private void fill() throws ProfileParseException {
        if (start > 0) {
            System.arraycopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == buffer.length) {
            throw ProfileParseException.at(lineNumber + 1,
                    "line is longer than " + ProfileLimits.MAX_LINE_BYTES + " bytes");
        }
        try {
            int n = 0;
            // InputStream promises at least one byte or the end; a stream that breaks that promise must not spin us forever.
            for (int attempt = 0; n == 0 && attempt < MAX_EMPTY_READS; attempt++) {
                n = in.read(buffer, end, buffer.length - end);
            }
            if (n == 0) {
                throw ProfileParseException.at(lineNumber + 1, "reading the profile failed: the stream keeps returning no data");
            }
            if (n < 0) {
                eof = true;
            } else {
                end += n;
            }
        } catch (ProfileSizeLimitedStream.TooLarge e) {
            throw ProfileParseException.at(lineNumber + 1, e.getMessage(), e);
        } catch (IOException e) {
            throw ProfileParseException.at(lineNumber + 1, "reading the profile failed: " + e, e);
        }
    }
}
