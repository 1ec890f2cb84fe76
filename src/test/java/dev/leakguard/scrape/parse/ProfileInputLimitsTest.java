package dev.leakguard.scrape.parse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leakguard.policy.ProfileType;
import dev.leakguard.profile.StackRecord;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Limits and misbehaving streams, the same for both parsers. */
class ProfileInputLimitsTest {

    @ParameterizedTest
    @CsvSource({ProfileFixtures.GO_AFTER10_DEBUG2 + ", 63", ProfileFixtures.ACTUATOR_JSON_AFTER10 + ", 31",
            ProfileFixtures.JSTACK_AFTER10 + ", 55"})
    void noLimitMeansNoLimit(String fixture, int records) throws Exception {
        List<StackRecord> parsed = new ArrayList<>();

        parse(ProfileFixtures.typeOf(fixture), new ByteArrayInputStream(ProfileFixtures.bytes(fixture)), Long.MAX_VALUE, parsed);

        assertThat(parsed).hasSize(records);
    }

    /** Before the guard this spun forever; the timeout turns a regression into a failure, not a stuck build. */
    @ParameterizedTest
    @CsvSource({"go", "jvm"})
    @Timeout(60)
    void aStreamThatNeverDeliversFailsInsteadOfSpinning(ProfileType type) {
        InputStream stalled = new InputStream() {
            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) {
                return 0;
            }
        };

        assertThatThrownBy(() -> parse(type, stalled, 1 << 20, new ArrayList<>()))
                .isInstanceOf(ProfileParseException.class);
    }

    @ParameterizedTest
    @CsvSource({"go, 0", "jvm, 0", "go, 1", "jvm, 1"})
    void tinyLimitsFailCleanly(ProfileType type, long maxBytes) {
        assertThatThrownBy(() -> parse(type, new ByteArrayInputStream("goroutine 1 [running]:\n".getBytes()), maxBytes, new ArrayList<>()))
                .isInstanceOf(ProfileParseException.class)
                .hasMessageContaining("larger than the limit of " + maxBytes + " bytes");
    }

    private static void parse(ProfileType type, InputStream in, long maxBytes, List<StackRecord> sink) throws ProfileParseException {
        ProfileParser.of(type).parse(in, maxBytes, sink::add);
    }
}
