package dev.leakguard.scrape.parse;

import dev.leakguard.policy.ProfileType;
import dev.leakguard.profile.StackRecord;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * The shape the Go goroutine-profile and JVM thread-dump parsers share: bytes in, at most
 * {@code maxBytes} of them read, {@link StackRecord}s out to the sink as they complete.
 */
@FunctionalInterface
public interface ProfileParser {

    /**
     * @return the records left out because they held a line no runtime prints there (each dropped alone)
     * @throws ProfileParseException when the input is not such a profile, is truncated or malformed, or too large
     */
    SkippedRecords parse(InputStream in, long maxBytes, Consumer<StackRecord> sink) throws ProfileParseException;

    /** The parser for profiles of {@code type}. */
    static ProfileParser of(ProfileType type) {
        return switch (type) {
            case go -> GoroutineProfileParser::parse;
            case jvm -> JvmThreadDumpParser::parse;
            case none -> throw new IllegalArgumentException("profile type none has no parser");
        };
    }
}
