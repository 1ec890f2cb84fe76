package dev.leakguard.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a recorded series in the {@code leakguard analyze} format: a header line, then
 * {@code timestamp_seconds,memory_bytes[,threads]} rows (other columns are ignored; the memory and
 * threads columns can be renamed). Errors name the line: {@code line 7: memory_bytes 'abc' is not a number}.
 *
 * <p>What spreadsheets and exporters add is tolerated: a UTF-8 byte order mark and double quotes
 * around names and cells. Epoch milliseconds are refused with a hint, never read as seconds (which
 * would stretch an hour into 41 days): a {@code timestamp_seconds} above {@value #LARGEST_EPOCH_SECONDS}
 * (the year 5138) can only be milliseconds.
 */
public final class TraceCsv {

    /** The parsed columns; {@code threads} is null when the file has no threads column. */
    public record Series(double[] timestampSeconds, double[] memoryBytes, double[] threads) {
        public int size() {
            return timestampSeconds.length;
        }
    }

    /** A problem in the input, with the 1-based line it is on (0 when it concerns the whole file). */
    public static final class FormatException extends Exception {
        public FormatException(int line, String message) {
            super(line > 0 ? "line " + line + ": " + message : message);
        }
    }

    public static final String TIMESTAMP_COLUMN = "timestamp_seconds";
    public static final String MEMORY_COLUMN = "memory_bytes";
    public static final String THREADS_COLUMN = "threads";

    /** Epoch seconds of 5138-11-16; every real timestamp in seconds is below, every epoch millisecond since 1973 above. */
    static final double LARGEST_EPOCH_SECONDS = 1e11;
    private static final char BYTE_ORDER_MARK = '\uFEFF';

    private TraceCsv() {
    }

    /**
     * @param threadsColumn the threads column to read; when it is the default name it is optional,
     *                      when the user named it explicitly it must exist
     */
    public static Series read(BufferedReader reader, String memoryColumn, String threadsColumn,
                              boolean threadsRequired) throws IOException, FormatException {
        String header = reader.readLine();
        if (header == null || header.isBlank()) {
            throw new FormatException(1, "empty file; expected a header such as " + TIMESTAMP_COLUMN + "," + MEMORY_COLUMN);
        }
        if (header.charAt(0) == BYTE_ORDER_MARK) {
            header = header.substring(1);
        }
        List<String> names = Arrays.stream(header.split(",", -1)).map(TraceCsv::unquoted).toList();
        int timeIndex = names.indexOf(TIMESTAMP_COLUMN);
        int memoryIndex = names.indexOf(memoryColumn);
        int threadsIndex = names.indexOf(threadsColumn);
        if (timeIndex < 0 || memoryIndex < 0) {
            throw new FormatException(1, "header must name columns " + TIMESTAMP_COLUMN + " and " + memoryColumn
                    + ", got '" + header + "'");
        }
        if (threadsRequired && threadsIndex < 0) {
            throw new FormatException(1, "header has no threads column '" + threadsColumn + "'");
        }
        int capacity = 1024;
        double[] times = new double[capacity];
        double[] memory = new double[capacity];
        double[] threads = new double[capacity];
        int size = 0;
        int lineNumber = 1;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            if (size == capacity) {
                capacity *= 2;
                times = Arrays.copyOf(times, capacity);
                memory = Arrays.copyOf(memory, capacity);
                threads = Arrays.copyOf(threads, capacity);
            }
            times[size] = number(cells, timeIndex, TIMESTAMP_COLUMN, lineNumber);
            if (times[size] > LARGEST_EPOCH_SECONDS) {
                throw new FormatException(lineNumber, TIMESTAMP_COLUMN + " " + unquoted(cells[timeIndex])
                        + " is epoch milliseconds, not seconds (it would be the year " + yearOf(times[size])
                        + "); divide the column by 1000");
            }
            memory[size] = number(cells, memoryIndex, memoryColumn, lineNumber);
            threads[size] = threadsIndex < 0 || blank(cells, threadsIndex) ? Double.NaN
                    : number(cells, threadsIndex, threadsColumn, lineNumber);
            if (memory[size] < 0) {
                throw new FormatException(lineNumber, memoryColumn + " must not be negative");
            }
            if (size > 0 && times[size] <= times[size - 1]) {
                throw new FormatException(lineNumber, "timestamps must increase, " + unquoted(cells[timeIndex])
                        + " follows " + times[size - 1]);
            }
            size++;
        }
        if (size == 0) {
            throw new FormatException(lineNumber, "no samples after the header");
        }
        return new Series(Arrays.copyOf(times, size), Arrays.copyOf(memory, size),
                threadsIndex < 0 ? null : Arrays.copyOf(threads, size));
    }

    /** A scrape may lack the thread series; an empty threads cell means "not known". */
    private static boolean blank(String[] cells, int index) {
        return index < cells.length && unquoted(cells[index]).isEmpty();
    }

    private static String unquoted(String cell) {
        String trimmed = cell.trim();
        return trimmed.length() >= 2 && trimmed.startsWith("\"") && trimmed.endsWith("\"")
                ? trimmed.substring(1, trimmed.length() - 1).trim() : trimmed;
    }

    private static long yearOf(double epochSeconds) {
        return 1970 + Math.round(epochSeconds / (365.2425 * 86400));
    }

    private static double number(String[] cells, int index, String column, int line) throws FormatException {
        if (index >= cells.length) {
            throw new FormatException(line, "missing column " + column + " (" + cells.length + " cells)");
        }
        String cell = unquoted(cells[index]);
        try {
            double value = Double.parseDouble(cell);
            if (!Double.isFinite(value)) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new FormatException(line, column + " '" + cell + "' is not a number");
        }
    }
}
